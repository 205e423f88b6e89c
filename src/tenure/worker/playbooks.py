"""The playbook part of a worker's tick: enroll from the feed, then run the due steps.

Each batch is its own short write transaction, so people and API clients keep writing
between them (on SQLite the write lock is held for one batch at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine

from tenure.domains.automation import enrollment, steps
from tenure.kit.settings import Settings
from tenure.storage.engine import retry_when_busy

BATCH = 200  # enrollments per transaction
MAX_BATCHES = 50  # per tick: a backlog drains over ticks, not in one long stretch


@dataclass
class PlaybookTick:
    """What the playbooks did in one tick."""

    enrolled: int = 0
    steps: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """True if anything happened."""
        return bool(self.enrolled or self.steps or self.failed or self.outcomes)


def context_of(settings: Settings) -> steps.Context:
    """Return what the steps need of the settings."""
    return steps.Context(timezone=settings.business.timezone, language=settings.business.locale)


def tick(engine: Engine, settings: Settings, now: datetime) -> PlaybookTick:
    """Enroll whom the feed's new events set off, then run every enrollment due by ``now``."""
    done = PlaybookTick()

    def enroll(conn: Connection) -> int:
        return sum(
            enrollment.enroll_from_feed(conn, v, now) for v in enrollment.current_versions(conn)
        )

    done.enrolled = retry_when_busy(engine, enroll)
    context = context_of(settings)
    for _ in range(MAX_BATCHES):
        report = retry_when_busy(engine, lambda conn: steps.run_due(conn, context, now, BATCH))
        done.steps += report.steps
        done.failed += report.failed
        for outcome, count in report.outcomes.items():
            done.outcomes[outcome] = done.outcomes.get(outcome, 0) + count
        if report.enrollments < BATCH:
            break
    return done
