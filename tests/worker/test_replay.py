"""Replaying days gone by: runs on their days, a tick each morning after, never past now."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import StepRun
from tenure.domains.customers import changes
from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.tasks.models import Task
from tenure.kit.settings import Settings
from tenure.kit.timeutil import end_of_day
from tenure.storage.engine import write_transaction
from tenure.worker.replay import replay

PERSON = Actor(None, "cli")
PLAYBOOK = """\
name: replayed
title: {en: Replayed}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0}
steps:
  - wait: {days: 3}
  - create_task: {title: {en: Call them}, due_in_days: 1, assignee: {to: owner, fallback: null}}
"""


@pytest.fixture
def store(committed_store: Engine) -> Engine:
    return committed_store


def test_runs_come_on_their_days_and_steps_on_the_mornings_after(store: Engine) -> None:
    with write_transaction(store) as conn:
        ids = [changes.create_customer(conn, PERSON, {"external_id": f"c{n}"}) for n in range(2)]
        service.apply(conn, PERSON, [parse(PLAYBOOK, "p.yaml")])
    scored: list[date] = []

    def score(day: date) -> None:  # a run as of ``day``: one customer starts to decline
        scored.append(day)
        who = ids[len(scored) - 1]
        with write_transaction(store) as conn:
            news = feed.NewEvent(
                key=f"run:{day}:{who}",
                customer_id=who,
                type=SystemEventType.STAGE_CHANGED,
                occurred_at=end_of_day(day, "UTC"),
                properties={"from": "mature", "to": "declining"},
            )
            feed.append(conn, EventSource.RUN, [news])

    first = date(2026, 3, 1)
    done = replay(
        store,
        Settings(),
        first,
        date(2026, 3, 10),
        score,
        [first, date(2026, 3, 5)],
        until=datetime(2026, 3, 9, 12, tzinfo=UTC),  # "now": the last two mornings wait
    )
    assert scored == [date(2026, 3, 1), date(2026, 3, 5)]
    assert done.enrolled == 2
    with store.connect() as conn:
        made = conn.execute(select(Task.customer_id, Task.due_on).order_by(Task.id)).all()
        waits = conn.execute(select(StepRun.at).where(StepRun.action == "wait")).scalars()
        waited = sorted(w.replace(tzinfo=None) for w in waits)
    # enrolled the morning after each run (2 and 6 March, 09:00), the task three days later
    assert waited == [datetime(2026, 3, 2, 9), datetime(2026, 3, 6, 9)]
    # 5 March 09:00 + 1 day; the second one's wait ends 9 March 09:00, before "now" (12:00)
    assert [(c, str(d)[:10]) for c, d in made] == [(ids[0], "2026-03-06"), (ids[1], "2026-03-10")]
    assert done.steps == 4
    later = replay(store, Settings(), date(2026, 3, 10), date(2026, 3, 12), score, [])
    assert later.steps == 0  # nothing left to do, nothing done twice
