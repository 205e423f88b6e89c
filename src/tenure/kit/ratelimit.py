"""A sliding-window rate limit per key (an address, a link), kept in the process's memory.

For public pages that take no sign-in: each key may act ``limit`` times per ``seconds``. It
is per process — several web processes each allow the limit — which is enough to stop a
script hammering one server; a proxy in front is the place for more.
"""

from __future__ import annotations

import threading
from collections import deque


class RateLimit:
    """Allow each key ``limit`` actions per ``seconds``; remember at most ``keys`` keys."""

    def __init__(self, limit: int, seconds: float, keys: int = 10_000) -> None:
        self.limit = limit
        self.seconds = seconds
        self.keys = keys
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> float | None:
        """Count an action of ``key`` at ``now`` (seconds); None if allowed, else the wait."""
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - self.seconds:
                times.popleft()
            if len(times) >= self.limit:
                return max(times[0] + self.seconds - now, 0.0)
            times.append(now)
            if len(self._seen) > self.keys:  # forget the oldest half of the keys
                for stale in [k for k in self._seen if k != key][: self.keys // 2]:
                    del self._seen[stale]
            return None
