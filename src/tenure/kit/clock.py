"""The time, as code that decides by it asks for it: injected, so tests can freeze and move it.

The worker, its schedule, leases and (soon) playbook waits read ``clock.now()`` instead of the
system time; a test hands them a ``FrozenClock`` and moves it forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time (timezone-aware UTC) and waits."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        ...

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Wait ``seconds`` or until ``wake`` is set, whichever comes first."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """Return the system time in UTC."""
        return datetime.now(UTC)

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Block for ``seconds`` (less if ``wake`` is set meanwhile)."""
        if wake is None:
            time.sleep(seconds)
        else:
            wake.wait(seconds)


class FrozenClock:
    """A clock that only moves when told to: ``sleep`` advances it at once."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a frozen clock starts at a timezone-aware instant")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the frozen instant."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        if delta < timedelta(0):
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += delta

    def set(self, instant: datetime) -> None:
        """Move the clock to ``instant`` (not before the current one)."""
        self.advance(instant.astimezone(UTC) - self.now())

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Advance the clock by ``seconds`` without waiting."""
        self.advance(timedelta(seconds=seconds))
