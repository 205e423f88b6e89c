"""The sliding-window rate limit."""

from __future__ import annotations

from tenure.kit.ratelimit import RateLimit


def test_each_key_gets_its_limit_per_window_and_is_told_how_long_to_wait() -> None:
    limit = RateLimit(3, 60)
    assert [limit.allow("a", t) for t in (0, 1, 2)] == [None, None, None]
    assert limit.allow("a", 30) == 30  # the first action leaves the window at 60
    assert limit.allow("b", 30) is None  # another key is counted apart
    assert limit.allow("a", 60) is None  # the action at 0 has left the window
    assert limit.allow("a", 61) is None  # and the one at 1
    assert limit.allow("a", 61) == 1  # 2, 60, 61 are in it: the one at 2 leaves in a second


def test_it_forgets_old_keys_beyond_its_size() -> None:
    limit = RateLimit(1, 60, keys=10)
    for n in range(100):
        assert limit.allow(f"k{n}", 0) is None
    assert len(limit._seen) <= 11
