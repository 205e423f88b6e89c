"""API writes wait their turn in a small queue instead of crowding the store's write lock.

SQLite has one write lock. When every request thread of a server is free to start a write, the
writers wait for the lock inside SQLite (its busy handler sleeps and polls, up to the busy
timeout) while holding a request thread each; reads queue up behind them, and a writer that
waits past the timeout fails. Here a write route's work runs on one of ``server.write_threads``
threads; the others wait (without holding a thread) for their turn, at most the busy timeout,
and are then answered 503 with Retry-After. Reads keep the server's own threads.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine

from tenure.storage.errors import StoreBusy

T = TypeVar("T")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteQueue:
    """At most ``threads`` writes at once; the others wait up to ``wait_seconds`` their turn."""

    def __init__(self, threads: int, wait_seconds: float) -> None:
        self.threads = threads
        self.wait_seconds = wait_seconds
        # made on first use: an anyio limiter belongs to the event loop that serves requests
        self._turns: anyio.CapacityLimiter | None = None
        self._runners: anyio.CapacityLimiter | None = None
        self.waiting = 0  # writes waiting for their turn now (for logs and tests)

    def _limiters(self) -> tuple[anyio.CapacityLimiter, anyio.CapacityLimiter]:
        if self._turns is None or self._runners is None:
            self._turns = anyio.CapacityLimiter(self.threads)
            self._runners = anyio.CapacityLimiter(self.threads)
        return self._turns, self._runners

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on a writer thread when its turn comes; ``StoreBusy`` if it does not."""
        turns, runners = self._limiters()
        self.waiting += 1
        turn = False
        try:
            with anyio.move_on_after(self.wait_seconds):
                await turns.acquire()
                turn = True
        finally:
            self.waiting -= 1
        if not turn:
            raise StoreBusy(retry_after=max(1, math.ceil(min(self.wait_seconds, 10))))
        try:
            return await anyio.to_thread.run_sync(work, limiter=runners)
        finally:
            turns.release()

    def wrap(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        """Return an async endpoint that runs the (plain) ``endpoint`` through the queue.

        The signature is ``endpoint``'s (FastAPI reads the parameters through ``__wrapped__``).
        """

        @functools.wraps(endpoint)
        async def queued(*args: Any, **kwargs: Any) -> Any:
            return await self.run(functools.partial(endpoint, *args, **kwargs))

        return queued


# one queue per store a server process serves (api_router sets it up from the settings)
_QUEUES: weakref.WeakKeyDictionary[Engine, WriteQueue] = weakref.WeakKeyDictionary()


def configure(engine: Engine, threads: int, wait_seconds: float) -> WriteQueue:
    """Set up the write queue of ``engine``'s API routes."""
    queue = WriteQueue(threads, wait_seconds)
    _QUEUES[engine] = queue
    return queue


def queue_for(engine: Engine) -> WriteQueue:
    """Return the write queue of ``engine`` (one writer, 30 s of waiting if none was set up)."""
    found = _QUEUES.get(engine)
    return found if found is not None else configure(engine, 1, 30.0)
