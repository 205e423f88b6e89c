"""Churn reasons said in words, in both languages."""

from __future__ import annotations

from tenure.kit.i18n import reason_text


def test_one_is_singular_in_english() -> None:
    assert reason_text("complaints_90", 1.0, "en") == "1 complaint in 90 days"
    assert reason_text("complaints_90", 3.0, "en") == "3 complaints in 90 days"
    assert reason_text("complaints_90", 1.0, "zh") == "近 90 天投诉 1 次"


def test_the_activity_the_churn_label_counts_has_words() -> None:
    assert reason_text("days_since_active_event", 61.0, "en") == "no visit or use for 61 days"
    assert reason_text("days_since_active_event", None, "zh") == "90 天内未访问或使用"
