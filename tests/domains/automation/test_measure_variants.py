"""Each way of a random split against the holdout, on both databases.

The way of each enrollment is drawn here again from its id, checked against the way the
engine sent it, and the figures against a count of the purchases this test wrote.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import Engine, insert, select

from tenure.analytics import uplift
from tenure.domains.audit.service import Actor
from tenure.domains.automation import measure, service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.customers import changes
from tenure.domains.orders.models import Order
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import Settings
from tenure.storage.engine import write_transaction
from tenure.worker import playbooks

PERSON = Actor(None, "cli")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLAYBOOK = """\
name: ab
title: {en: Two offers, zh: 两种优惠}
trigger: {manual: true}
enrollment: {holdout: 0.3}
goal: {purchase: true, within_days: 30}
steps:
  - add_tags: [entered]
  - id: pick
    split:
      - {share: 0.4, go: small}
      - {share: 0.6, go: big}
  - id: small
    add_tags: [small-offer]
  - exit: true
  - id: big
    add_tags: [big-offer]
"""


def _way(enrollment_id: int) -> str:
    """The way of the split ``pick`` for an enrollment, drawn as the engine documents it."""
    draw = int.from_bytes(hashlib.sha256(f"{enrollment_id}:pick".encode()).digest()[:8], "big")
    return "small" if draw / 2**64 < 0.4 else "big"


def test_each_way_of_the_split_against_the_holdout(store: Engine) -> None:
    with write_transaction(store) as conn:
        service.apply(conn, PERSON, [parse(PLAYBOOK, "ab.yaml")])
        for i in range(300):
            changes.create_customer(conn, PERSON, {"external_id": f"A{i:04d}"})
            service.enroll(conn, PERSON, "ab", f"A{i:04d}", START)
    playbooks.tick(store, Settings(), FrozenClock(START + timedelta(minutes=1)))
    with store.connect() as conn:
        rows = conn.execute(select(Enrollment.id, Enrollment.customer_id, Enrollment.holdout)).all()
        sent = dict(
            conn.execute(
                select(StepRun.enrollment_id, StepRun.detail).where(StepRun.step_id == "pick")
            ).all()
        )
    # the engine sent every treated enrollment the way drawn here; the holdout never split
    treated_ids = {int(e) for e, _, held in rows if not held}
    assert set(sent) == treated_ids
    assert all(detail["to"] == _way(e) for e, detail in sent.items())

    rng = np.random.default_rng(3)
    rate = {"holdout": 0.2, "small": 0.3, "big": 0.45}
    bought: dict[int, bool] = {}
    way_of: dict[int, str] = {}
    for enrollment_id, _customer, held in rows:
        way_of[int(enrollment_id)] = "holdout" if held else _way(int(enrollment_id))
        bought[int(enrollment_id)] = bool(rng.random() < rate[way_of[int(enrollment_id)]])
    customer_of = {int(e): int(c) for e, c, _ in rows}
    with write_transaction(store) as conn:
        conn.execute(
            insert(Order),
            [
                {
                    "external_id": f"B{e}",
                    "customer_id": customer_of[e],
                    "ordered_at": START + timedelta(days=5),
                    "amount": Decimal(20),
                }
                for e, yes in bought.items()
                if yes
            ],
        )
    with store.connect() as conn:
        found = measure.measure(conn, "ab", margin_share=0.3, now=START + timedelta(days=40))
    held = [bought[e] for e, w in way_of.items() if w == "holdout"]
    assert [(v.step, v.way, v.share) for v in found.variants] == [
        ("pick", "small", 0.4),
        ("pick", "big", 0.6),
    ]
    for variant in found.variants:
        mine = [bought[e] for e, w in way_of.items() if w == variant.way]
        assert variant.treated == len(mine) > 0
        assert variant.goal_rate == uplift.rate_difference(
            sum(mine), len(mine), sum(held), len(held)
        )
    figures = found.as_dict()["variants"]
    assert [v["way"] for v in figures] == ["small", "big"]
    assert figures[1]["goal_rate"]["treated"] == found.variants[1].goal_rate.treated  # type: ignore[union-attr]
