"""Run queued scoring requests one at a time on a background thread of the server process.

One at a time because a run already uses both cores; a second request waits in the queue.

A run reads and computes in one transaction that writes nothing, and writes its results in a
second, short one (``score``): people and API clients keep writing meanwhile. On SQLite the
write-back takes the write lock before it reads anything (BEGIN IMMEDIATE), waits for other
writers' turns (the busy timeout), and is tried again from the start if the lock stays taken.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

from sqlalchemy import Engine

from tenure.domains.scoring import failures, requests
from tenure.domains.scoring.run import RunResult, compute_run, save_run
from tenure.kit.settings import Settings
from tenure.storage.arrow import arrow_reader
from tenure.storage.engine import retry_when_busy

log = logging.getLogger(__name__)


def score(engine: Engine, as_of: date, settings: Settings) -> RunResult:
    """Score the store as of ``as_of`` while others may write to it; commit the run.

    The results are those of the store as the run read it; what is written while it
    computes counts in the next run.
    """
    with engine.connect() as conn:  # a read transaction, rolled back at the end
        computed = compute_run(conn, as_of, settings, arrow_reader(engine))
    if isinstance(computed, RunResult):
        return computed  # an equal run exists
    return retry_when_busy(engine, lambda conn: save_run(conn, computed))


class RunWorker:
    """Executes run requests in the order they are submitted."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenure-run")

    def submit(self, request_id: int) -> Future[None]:
        """Run the (committed, queued) request soon; the future ends when it has."""
        return self._pool.submit(self._run, request_id)

    def _run(self, request_id: int) -> None:
        day = retry_when_busy(self.engine, lambda conn: requests.claim(conn, request_id))
        if day is None:
            return  # another worker took it
        try:
            result = score(self.engine, day, self.settings)
        except Exception as exc:  # a failed run is reported to whoever polls, not lost
            kind = failures.classify(exc)
            # the details (SQL, parameters, traceback) are for the log only
            log.exception("scoring run request %s as of %s failed (%s)", request_id, day, kind)
            self._finish(request_id, error=kind)
        else:
            self._finish(request_id, run_id=result.run_id)

    def _finish(
        self, request_id: int, *, run_id: int | None = None, error: str | None = None
    ) -> None:
        try:
            retry_when_busy(
                self.engine,
                lambda conn: requests.finish(conn, request_id, run_id=run_id, error=error),
            )
        except Exception:  # the request stays "running"; say so where someone looks
            log.exception("could not record how scoring run request %s ended", request_id)

    def shutdown(self) -> None:
        """Let a running run finish; drop nothing queued in the store (it stays queued)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
