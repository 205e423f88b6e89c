"""``tenure loyalty report`` writes a difference of two rates in percentage points."""

from __future__ import annotations

from tenure.cli.loyalty_report import _difference
from tenure.cli.words import Words


def test_a_rate_difference_is_in_points_and_money_stays_money() -> None:
    en, zh = Words("en", "USD"), Words("zh", "USD")
    assert _difference(en, "repurchase_90d", 0.035, [0.019, 0.052]) == ("+3.5 points (+1.9 – +5.2)")
    assert _difference(zh, "repurchase_90d", -0.004, None) == "-0.4 个百分点"
    assert _difference(en, "spend_since", 71.91, None) == en.money(71.91)
