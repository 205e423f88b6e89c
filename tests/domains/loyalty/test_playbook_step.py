"""The ``award_points`` playbook step: a stage change credits points once, via the worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from tenure.domains.automation.models import Enrollment
from tenure.domains.loyalty import service
from tenure.domains.loyalty.models import LoyaltyEntry
from tenure.kit.clock import FrozenClock
from tenure.storage.engine import write_transaction
from tests.domains.automation.test_engine import START, _apply, _customer, _stage_change, _worker
from tests.domains.loyalty.helpers import make_book

PLAYBOOK = """\
name: comeback-gift
title: {en: A gift to come back, zh: 回归礼}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0}
steps:
  - award_points: {programme: PROGRAMME, amount: 200, reason: come back}
  - wait: {days: 1}
"""


def test_award_points_credits_once_per_step(committed_store: Engine) -> None:
    with write_transaction(committed_store) as conn:
        make_book(conn)
    who = _customer(committed_store, "drifting")
    _apply(committed_store, PLAYBOOK.replace("PROGRAMME", "stars"))
    _stage_change(committed_store, who, "mature", "declining", "s1")
    clock = FrozenClock(START)
    worker = _worker(committed_store, clock)
    try:
        assert worker.tick().playbooks.steps == 2
        clock.advance(timedelta(days=2))
        worker.tick()
    finally:
        worker.stop()
    with committed_store.connect() as conn:
        book = service.book(conn, "stars")
        entries = conn.execute(select(LoyaltyEntry.amount, LoyaltyEntry.rule, LoyaltyEntry.reason))
        assert [tuple(e) for e in entries] == [(200, "playbook:comeback-gift", "come back")]
        assert service.balance(conn, book, who, START).spendable == 200


def test_an_unknown_programme_fails_the_step_with_its_name(committed_store: Engine) -> None:
    who = _customer(committed_store, "drifting")
    _apply(committed_store, PLAYBOOK.replace("PROGRAMME", "nope"))
    _stage_change(committed_store, who, "mature", "declining", "s1")
    worker = _worker(committed_store, FrozenClock(START))
    try:
        worker.tick()
    finally:
        worker.stop()
    with committed_store.connect() as conn:
        [(status, reason)] = conn.execute(select(Enrollment.status, Enrollment.reason)).all()
    assert status == "failed"
    assert "award_points: programme: no loyalty programme 'nope'" in reason
