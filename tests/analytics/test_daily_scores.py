"""The day-by-day scores equal a from-scratch computation of the same days, as the run does it."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_series_equal

from tenure.analytics.churn import ChurnParams, churn_risk
from tenure.analytics.daily_scores import ScoreParams, daily_scores
from tenure.analytics.features import FeatureParams, compute_features, cut_frames, day_number
from tenure.analytics.health import health
from tenure.analytics.leads import LeadParams, lead_scores
from tenure.analytics.stages import assign_stages, policy
from tenure.analytics.value import ValueParams, customer_value
from tenure.kit.settings.stages import StageSettings

FIRST = date(2026, 5, 20)
LAST = date(2026, 6, 20)


def params() -> ScoreParams:
    return ScoreParams(
        stage_policy=policy("ecommerce", StageSettings().params()),
        leads=LeadParams(),
        refit_days=28,
    )


def from_scratch(frames: dict[str, pl.DataFrame], day: date, p: ScoreParams) -> pl.DataFrame:
    """One day as a scoring run computes it: features, churn run, value, health, stages."""
    features = compute_features(cut_frames(frames, day_number(day)), day, p.features)
    past = dataclasses.replace(p.features, comebacks=False)

    def features_at(when: date) -> pl.DataFrame:
        return compute_features(cut_frames(frames, day_number(when)), when, past)

    risk, _ = churn_risk(frames, features, day, features_at, p.churn or ChurnParams())
    value, _ = customer_value(features, ValueParams())
    value = value.join(risk, on="customer_id", how="left")
    alive = (
        pl.when(pl.col("churn_risk").is_not_null())
        .then((1.0 - pl.col("churn_risk")).round(4))
        .otherwise(pl.col("p_alive"))
    )
    value = value.with_columns(alive.alias("p_alive"))
    joined = features.join(value.select("customer_id", "p_alive"), on="customer_id", how="left")
    bands = health(joined, p.health)
    model = joined.join(bands, on="customer_id", how="left").with_columns(
        pl.lit(True).alias("p_alive_learned")
    )
    stages = assign_stages(model, p.stage_policy)
    leads = lead_scores(features, LeadParams())
    return (
        value.select("customer_id", "p_alive", "churn_risk")
        .join(stages.select("customer_id", "stage"), on="customer_id")
        .join(bands, on="customer_id")
        .join(leads, on="customer_id")
    )


@pytest.fixture(scope="module")
def walked(demo_frames: dict[str, pl.DataFrame]) -> dict[date, pl.DataFrame]:
    return dict(daily_scores(demo_frames, FIRST, LAST, params()))


def test_every_day_is_yielded_once(walked: dict[date, pl.DataFrame]) -> None:
    assert list(walked) == [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


@pytest.mark.parametrize("day", [FIRST, FIRST + timedelta(days=28)])
def test_a_refit_day_equals_the_scoring_runs_computation(
    demo_frames: dict[str, pl.DataFrame], walked: dict[date, pl.DataFrame], day: date
) -> None:
    got = walked[day].sort("customer_id")
    want = from_scratch(demo_frames, day, params()).sort("customer_id")
    assert got["customer_id"].to_list() == want["customer_id"].to_list()
    # the churn model learned on the refit day scores it: P(alive) = 1 − its risk (4 decimals;
    # the booster's plain prediction and its explained one differ in the last bits only)
    assert got["p_alive"].is_not_null().sum() > 1000
    diff = (got["p_alive"] - want["p_alive"]).abs().max()
    assert diff is not None
    assert float(diff) <= 1e-4  # type: ignore[arg-type]
    agree = (got["stage"] == want["stage"]).mean()
    assert agree is not None
    assert float(agree) > 0.999  # type: ignore[arg-type]
    assert (got["health_band"] == want["health_band"]).mean() > 0.999  # type: ignore[operator]
    assert_series_equal(got["lead_band"], want["lead_band"])
    assert_series_equal(got["lead_score"], want["lead_score"])


def test_a_day_between_refits_scores_with_the_latest_fit(
    demo_frames: dict[str, pl.DataFrame], walked: dict[date, pl.DataFrame]
) -> None:
    """Day 10: the features of day 10, the models of day 0 (no look-ahead)."""
    from tenure.analytics.daily_scores import fit_models, scores_of

    p = params()
    fitted_at = compute_features(cut_frames(demo_frames, day_number(FIRST)), FIRST, p.features)
    models = fit_models(demo_frames, FIRST, fitted_at, p)
    day = FIRST + timedelta(days=10)
    features = compute_features(cut_frames(demo_frames, day_number(day)), day, p.features)
    want = scores_of(features, models, p)
    got = walked[day]
    assert_series_equal(got["stage"], want["stage"])
    assert_series_equal(got["health_band"], want["health_band"])
    diff = (got["p_alive"] - want["p_alive"]).abs().max()
    assert float(diff) <= 1e-9  # type: ignore[arg-type]


def test_without_history_to_learn_from_p_alive_is_the_transaction_models(
    demo_frames: dict[str, pl.DataFrame],
) -> None:
    """A horizon longer than the store's past: no churn model, so BG/NBD gives P(alive)."""
    p = dataclasses.replace(params(), churn=ChurnParams(horizon_days=2000), leads=None)
    day, got = next(iter(daily_scores(demo_frames, FIRST, FIRST, p)))
    features = compute_features(cut_frames(demo_frames, day_number(day)), day, FeatureParams())
    value, _ = customer_value(features, ValueParams())
    assert got["churn_risk"].is_null().all()
    diff = (got["p_alive"] - value["p_alive"]).abs().max()
    assert float(diff) <= 1e-9  # type: ignore[arg-type]
    assert "lead_band" not in got.columns


@pytest.mark.parametrize(("horizon", "every"), [(90, 30), (60, 30), (100, 25), (42, 21), (97, 28)])
def test_refits_are_a_divisor_of_the_horizon_apart_so_they_share_snapshots(
    horizon: int, every: int
) -> None:
    from tenure.analytics.daily_scores import refit_every

    p = dataclasses.replace(params(), refit_days=None, churn=ChurnParams(horizon_days=horizon))
    assert refit_every(p) == every
    assert refit_every(dataclasses.replace(p, refit_days=7)) == 7
