"""The learned lead-conversion model: better than the rule-based lead score, or honest about it."""

from __future__ import annotations

from datetime import date

import polars as pl

from tenure.analytics.conversion import ConversionParams, lead_conversion
from tenure.analytics.features import compute_features, cut_frames, day_number

END = date(2026, 6, 30)


def test_the_model_ranks_leads_better_than_the_rules(demo_frames: dict[str, pl.DataFrame]) -> None:
    def features_at(day: date) -> pl.DataFrame:
        return compute_features(cut_frames(demo_frames, day_number(day)), day)

    features = features_at(END)
    scored, diagnostics = lead_conversion(demo_frames, features, END, features_at)
    metrics = diagnostics["metrics"]
    assert metrics["model"]["roc_auc"] > metrics["lead_score"]["roc_auc"]
    assert metrics["model"]["pr_auc"] > metrics["lead_score"]["pr_auc"]
    leads = set(features.filter(pl.col("purchase_days") == 0)["customer_id"].to_list())
    got = scored.drop_nulls("lead_conversion")
    assert set(got["customer_id"].to_list()) == leads
    assert got["lead_conversion"].is_between(0, 1).all()
    # the model's mean probability is near the conversion rate it was tested on
    rate = diagnostics["test"]["conversion_rate"]
    assert abs(got["lead_conversion"].mean() - rate) < 0.03  # type: ignore[operator]


def test_too_few_conversions_leave_it_empty(demo_frames: dict[str, pl.DataFrame]) -> None:
    def features_at(day: date) -> pl.DataFrame:
        return compute_features(cut_frames(demo_frames, day_number(day)), day)

    scored, diagnostics = lead_conversion(
        demo_frames, features_at(END), END, features_at, ConversionParams(min_per_class=10**6)
    )
    assert scored["lead_conversion"].null_count() == scored.height
    assert "at least 1000000 of each" in diagnostics["skipped"]
