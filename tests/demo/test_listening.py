"""The demo's survey answers: true states, the NPS, and the wave's stable draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tenure.demo.feedback import WAVE_SHARE, WAVE_WEEKS, in_wave
from tenure.demo.listening import Person, nps, true_state

AT = datetime(2026, 6, 20, 9, tzinfo=UTC)


def test_true_state_by_when_they_leave_then_by_their_true_lifetime() -> None:
    def person(leaves_in: float | None, life_days: float) -> Person:
        leaves = None if leaves_in is None else AT + timedelta(days=leaves_in)
        return Person("C1", leaves, 0.0, life_days)

    assert true_state(person(10, 5000), AT) == "leaving"
    assert true_state(person(179.9, 5000), AT) == "leaving"
    assert true_state(person(180, 5000), AT) == "healthy"
    assert true_state(person(None, 999), AT) == "declining"
    assert true_state(person(400, 999), AT) == "declining"
    assert true_state(person(None, 1000), AT) == "healthy"


def test_nps_is_promoters_minus_detractors_in_points() -> None:
    assert nps([]) is None
    assert nps([10, 9, 8, 7, 6, 0]) == 0.0  # 2 promoters, 2 detractors of 6
    assert nps([9, 9, 9, 2]) == 50.0


def test_the_wave_asks_its_share_once_spread_over_the_weeks() -> None:
    customers = range(1, 20_001)
    weeks = [sum(in_wave(c, w) for w in range(WAVE_WEEKS)) for c in customers]
    assert max(weeks) == 1  # nobody asked twice
    asked = sum(weeks) / len(weeks)
    assert abs(asked - WAVE_SHARE) < 0.01
    per_week = [sum(in_wave(c, w) for c in customers) for w in range(WAVE_WEEKS)]
    assert min(per_week) > 0.8 * max(per_week)
