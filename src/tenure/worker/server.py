"""The worker that ``tenure serve`` runs on a thread of the server process."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from tenure.kit.clock import Clock
from tenure.kit.settings import Settings
from tenure.worker.process import AnotherWorkerRuns, Worker

log = logging.getLogger(__name__)


class ServerWorker:
    """The worker of ``tenure serve``: ticks on a thread of the server process.

    Where another worker holds the store (a `tenure worker` process, or a second server
    process on SQLite), it leaves the work to that one and looks again after a lease's
    time, so it takes over if that worker dies. ``wake`` is how a request for a run gets
    it going at once instead of at the next poll.
    """

    def __init__(self, engine: Engine, settings: Settings, clock: Clock | None = None) -> None:
        self.worker = Worker(engine, settings, clock=clock)
        self.enabled = settings.worker.in_server
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread (once); nothing happens if the settings turn it off."""
        with self._lock:
            if self.enabled and self._thread is None:
                self._thread = threading.Thread(
                    target=self._main, name="tenure-worker", daemon=True
                )
                self._thread.start()

    def wake(self) -> None:
        """There is new work: look now."""
        self.start()
        self.worker.wake()

    def shutdown(self) -> None:
        """Stop after the work in hand (a run in progress finishes) and give the lease back."""
        self._stop.set()
        self.worker.wake()
        if self._thread is not None:
            self._thread.join()

    def _main(self) -> None:
        while not self._stop.is_set():
            try:
                self.worker.start()
            except AnotherWorkerRuns as other:
                log.info("the server leaves the background work to %s", other.other.worker_id)
                self._stop.wait(self.worker.options.lease.total_seconds())
                continue
            except Exception:  # the store is unreachable: try again later
                log.exception("the server's worker could not start")
                self._stop.wait(self.worker.options.poll_seconds)
                continue
            try:
                self.worker.run_until(self._stop)
            except AnotherWorkerRuns as other:
                log.info("the server leaves the background work to %s", other.other.worker_id)
                self._stop.wait(self.worker.options.lease.total_seconds())
            finally:
                self.worker.stop()
