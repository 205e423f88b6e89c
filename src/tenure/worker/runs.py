"""Run queued scoring requests one at a time on a background thread of the server process.

One at a time because a run already uses both cores (and, on SQLite, holds the write lock
while it writes its results); a second request waits in the queue.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine

from tenure.domains.scoring import requests
from tenure.domains.scoring.service import run_scoring
from tenure.kit.errors import TenureError
from tenure.kit.settings import Settings
from tenure.storage.arrow import arrow_reader

log = logging.getLogger(__name__)


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
        with self.engine.begin() as conn:
            day = requests.claim(conn, request_id)
        if day is None:
            return  # another worker took it
        try:
            with self.engine.begin() as conn:
                result = run_scoring(conn, day, self.settings, arrow_reader(self.engine))
        except TenureError as exc:
            self._finish(request_id, error=exc.message)
        except Exception as exc:  # a failed run is reported to whoever polls, not lost
            log.exception("scoring run request %s failed", request_id)
            self._finish(request_id, error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(request_id, run_id=result.run_id)

    def _finish(self, request_id: int, **outcome: object) -> None:
        with self.engine.begin() as conn:
            requests.finish(conn, request_id, **outcome)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        """Let a running run finish; drop nothing queued in the store (it stays queued)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
