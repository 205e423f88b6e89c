"""The playbook part of a worker's tick: enroll from the feed, run the due steps, deliver.

Each batch is its own short write transaction, so people and API clients keep writing
between them (on SQLite the write lock is held for one batch at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from tenure.domains.automation import crossings, enrollment, programme, scheduled, steps
from tenure.domains.automation.definition import Step
from tenure.domains.messaging import delivery, transports
from tenure.domains.messaging import service as messaging
from tenure.domains.scheduling import repository as schedule
from tenure.domains.webhooks import delivery as hooks
from tenure.domains.webhooks import service as webhooks
from tenure.kit.clock import Clock
from tenure.kit.settings import Settings
from tenure.kit.timeutil import start_of_day
from tenure.storage.engine import retry_when_busy
from tenure.worker import survey_mail

BATCH = 200  # enrollments per transaction
MAX_BATCHES = 50  # per tick: a backlog drains over ticks, not in one long stretch


@dataclass
class PlaybookTick:
    """What the playbooks did in one tick."""

    enrolled: int = 0
    steps: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # delivered this tick, by outcome
    webhooks: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """True if anything happened."""
        return bool(
            self.enrolled
            or self.steps
            or self.failed
            or self.outcomes
            or self.emails
            or self.webhooks
        )


def context_of(settings: Settings, now: datetime) -> steps.Context:
    """Return what the steps need: the business's zone and language, and the outboxes."""

    def send_email(conn: Connection, key: str, row: dict[str, Any], step: Step) -> dict[str, Any]:
        spec = step.send_email
        if spec is None:  # pragma: no cover  (only send_email steps are handed over)
            raise steps.StepFailed("send_email: the step has no email")
        queued = messaging.queue_email(
            conn,
            key=key,
            customer_id=row["customer_id"],
            template=spec.template,
            category=row["category"],
            source=f"playbook:{row['playbook']}",
            now=now,
            settings=settings,
            priority=row.get("priority"),
            send_window=spec.send_window,
        )
        return {"message_id": queued.message_id, "status": queued.status, "reason": queued.reason}

    def call_webhook(conn: Connection, key: str, row: dict[str, Any], step: Step) -> dict[str, Any]:
        spec = step.webhook
        if spec is None:  # pragma: no cover  (only webhook steps are handed over)
            raise steps.StepFailed("webhook: the step has no url")
        payload = {
            "playbook": row["playbook"],
            "version": row["version"],
            "enrollment_id": row["id"],
            "step": key,
            "customer": webhooks.customer_payload(conn, row["customer_id"]),
        }
        delivery_id = webhooks.queue(
            conn,
            key=key,
            url=spec.url,
            event_type="playbook.step",
            payload=payload,
            source=f"playbook:{row['playbook']}",
            customer_id=row["customer_id"],
            now=now,
            allow_private=webhooks.private_allowed(settings),
        )
        return {"delivery_id": delivery_id}

    return steps.Context(
        timezone=settings.business.timezone,
        language=settings.business.locale,
        send_email=send_email,
        call_webhook=call_webhook,
        send_survey=survey_mail.sender(settings, now),
    )


def calendar(
    engine: Engine, settings: Settings, now: datetime, versions: list[enrollment.Version]
) -> int:
    """Once per business day and playbook: enroll whom the calendar sets off today.

    Taking the day's slot and enrolling commit together: a day is looked at once, even with
    several workers, and a crash in between leaves the day to the next tick. The days missed
    while no worker ran (up to ``scheduled.CATCH_UP_DAYS``) are looked at with today. A paused
    playbook takes its days without enrolling (as it moves its feed cursor), so resuming it
    does not catch up on the pause.
    """
    zone = settings.business.timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    slot = start_of_day(today, zone)
    enrolled = 0
    for version in versions:
        if not scheduled.is_calendar(version):
            continue

        def look(conn: Connection, version: enrollment.Version = version) -> int:
            job = f"playbook:{version.name}:day"
            last = schedule.last_slot(conn, job)
            if not schedule.take_slot(conn, job, slot, now):
                return 0
            if version.status != "active":
                return 0
            last_day = None if last is None else last.astimezone(ZoneInfo(zone)).date()
            days = scheduled.days_to_look_at(last_day, today)
            return scheduled.enroll_for_days(conn, version, days, zone, now)

        enrolled += retry_when_busy(engine, look)
    return enrolled


def tick(engine: Engine, settings: Settings, clock: Clock) -> PlaybookTick:
    """Enroll whom the feed's new events set off, run every step due by now, send the mail."""
    done = PlaybookTick()
    now = clock.now()

    versions: list[enrollment.Version] = []

    def enroll(conn: Connection) -> int:
        # read once a tick, parsed once
        share = programme.global_control_share(conn, settings)
        versions[:] = enrollment.current_versions(conn, share)
        enrollment.wake_waiting(conn, now)
        from_feed = sum(enrollment.enroll_from_feed(conn, v, now) for v in versions)
        return from_feed + sum(crossings.enroll_from_scores(conn, v, now) for v in versions)

    done.enrolled = retry_when_busy(engine, enroll)
    done.enrolled += calendar(engine, settings, now, versions)
    context = context_of(settings, now)
    for _ in range(MAX_BATCHES):
        report = retry_when_busy(engine, lambda conn: steps.run_due(conn, context, now, BATCH))
        done.steps += report.steps
        done.failed += report.failed
        for outcome, count in report.outcomes.items():
            done.outcomes[outcome] = done.outcomes.get(outcome, 0) + count
        if report.enrollments < BATCH:
            break
    sent = delivery.deliver_due(
        engine,
        transports.from_settings(settings.messaging),
        clock,
        lease_seconds=settings.messaging.sending_lease_seconds,
    )
    called = hooks.deliver_due(engine, clock, settings=settings)
    done.webhooks = {
        outcome: len(ids)
        for outcome, ids in (
            ("delivered", called.delivered),
            ("retrying", called.retrying),
            ("failed", called.failed),
        )
        if ids
    }
    done.emails = {
        outcome: len(ids)
        for outcome, ids in (
            ("sent", sent.sent),
            ("retrying", sent.retrying),
            ("failed", sent.failed),
            ("unknown", sent.unknown),
        )
        if ids
    }
    return done
