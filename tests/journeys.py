"""A playbook with customers on their way through it, for the API's and the web app's tests.

The worker's engine does the enrolling and the steps (``tenure.worker.playbooks.tick``): a
stage change appended to the feed and committed, then a tick, as in production.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, PlaybookRecord, StepRun
from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import Settings
from tenure.storage.engine import write_transaction
from tenure.worker import playbooks as worker

PERSON = Actor(None, "cli")


def playbook(name: str) -> str:
    """Return a playbook that tags, waits two days, branches on the city and exits."""
    return f"""\
name: {name}
title: {{en: Save a declining customer, zh: 挽回衰退客户}}
trigger:
  - stage_entered: {{to: [declining]}}
  - manual: true
enrollment: {{holdout: 0}}
steps:
  - id: mark
    add_tags: [{name}]
  - wait: {{days: 2}}
  - branch: {{if: {{field: city, op: "=", value: Atlantis}}, then: done, else: done}}
  - id: done
    exit: true
"""


def publish(engine: Engine, name: str) -> None:
    """Publish the playbook ``name`` (``playbook(name)``)."""
    with write_transaction(engine) as conn:
        service.apply(conn, PERSON, [parse(playbook(name), f"{name}.yaml")])


def decline(engine: Engine, customer_ids: list[int], at: datetime, key: str) -> None:
    """Append and commit a stage change into *declining* for each customer."""
    with write_transaction(engine) as conn:
        feed.append(
            conn,
            EventSource.RUN,
            [
                feed.NewEvent(
                    key=f"{key}-{c}",
                    customer_id=c,
                    type=SystemEventType.STAGE_CHANGED,
                    occurred_at=at,
                    properties={"from": "mature", "to": "declining", "rule": "test"},
                )
                for c in customer_ids
            ],
        )


def tick(engine: Engine, now: datetime) -> worker.PlaybookTick:
    """Run the worker's playbook pass at ``now``."""
    return worker.tick(engine, Settings(), FrozenClock(now))


def runs_by_step(
    engine: Engine, name: str, customer_ids: list[int] | None = None
) -> dict[str, int]:
    """Count, straight from step_runs, the enrollments that ran each step of ``name``
    (of ``customer_ids`` only, if given: tests that share a store enroll others too)."""
    query = (
        select(StepRun.step_id, func.count(func.distinct(StepRun.enrollment_id)))
        .join(Enrollment, Enrollment.id == StepRun.enrollment_id)
        .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
        .where(PlaybookRecord.name == name)
        .group_by(StepRun.step_id)
    )
    if customer_ids is not None:
        query = query.where(Enrollment.customer_id.in_(customer_ids))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {str(step): int(n) for step, n in rows}


def enrollments_by_status(
    engine: Engine, name: str, customer_ids: list[int] | None = None
) -> dict[str, int]:
    """Count the enrollments of ``name`` in each status (of ``customer_ids`` only, if given)."""
    query = (
        select(Enrollment.status, func.count())
        .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
        .where(PlaybookRecord.name == name)
        .group_by(Enrollment.status)
    )
    if customer_ids is not None:
        query = query.where(Enrollment.customer_id.in_(customer_ids))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {str(status): int(n) for status, n in rows}
