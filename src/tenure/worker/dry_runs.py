"""The worker's part in dry runs on history: claim a queued one, walk it, store its figures.

A dry run of a year takes under a minute on the default demo, longer on a big store: the
worker renews its own lease and the dry run's as the days go by (at most every third of the
lease), so nobody takes the work over while it is being done, and a worker that dies leaves a
lease that runs out and a dry run the next worker takes again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Connection, Engine

from tenure.domains.automation import dry_run_records as records
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.dry_run import simulate
from tenure.kit.clock import Clock
from tenure.kit.errors import TenureError
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import retry_when_busy

log = logging.getLogger(__name__)


def walk_one(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    owner: str,
    lease: timedelta,
    max_attempts: int,
    renew_worker: Callable[[Connection], object] | None = None,
) -> int | None:
    """Claim and walk one queued dry run; return its id (None: nothing queued)."""
    claimed = retry_when_busy(
        engine,
        lambda conn: records.claim_next(conn, owner, clock.now(), lease, max_attempts),
    )
    if claimed is None:
        return None
    interval = lease.total_seconds() / 3
    beat = {"at": time.monotonic()}

    def renew(conn: Connection) -> None:
        records.renew(conn, claimed.record_id, owner, clock.now(), lease)
        if renew_worker is not None:
            renew_worker(conn)

    def progress(done: int, total: int) -> None:
        # real seconds between renewals, whatever the (possibly frozen) clock says
        if time.monotonic() - beat["at"] >= interval:
            retry_when_busy(engine, renew)
            beat["at"] = time.monotonic()

    try:
        with engine.connect() as conn:  # reads only: the walk writes nothing
            playbook = Playbook.model_validate(records.definition_of(conn, claimed.playbook))
            today = business_today(settings.business.timezone)
            result = simulate(
                conn, playbook, claimed.first, claimed.last, today, settings, progress
            )
    except TenureError as exc:
        log.warning("dry run %s of %s failed: %s", claimed.record_id, claimed.playbook, exc)
        message = exc.message
        retry_when_busy(
            engine,
            lambda conn: records.finish(conn, claimed.record_id, clock.now(), error=message),
        )
        return claimed.record_id
    except Exception:  # reported to whoever polls, not lost
        log.exception("dry run %s of %s failed", claimed.record_id, claimed.playbook)
        retry_when_busy(
            engine,
            lambda conn: records.finish(
                conn, claimed.record_id, clock.now(), error="an unexpected error (see the log)"
            ),
        )
        return claimed.record_id
    retry_when_busy(
        engine, lambda conn: records.finish(conn, claimed.record_id, clock.now(), result=result)
    )
    return claimed.record_id
