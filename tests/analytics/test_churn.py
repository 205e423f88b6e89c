"""The churn model: labels from what happened next, exact explanations, better than baselines."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from tenure.analytics import boosting
from tenure.analytics.churn import ChurnParams, churn_risk
from tenure.analytics.churn import model as churn_model
from tenure.analytics.churn.history import active_after, label
from tenure.analytics.features import (
    EMPTY_SCHEMAS,
    FeatureParams,
    compute_features,
    cut_frames,
    day_number,
)

END = date(2026, 6, 30)


def _frames(**given: list[tuple[object, ...]]) -> dict[str, pl.DataFrame]:
    return {
        name: pl.DataFrame(given.get(name, []), schema=schema, orient="row")
        for name, schema in EMPTY_SCHEMAS.items()
    }


def test_a_customer_churned_when_the_horizon_holds_no_order_and_no_activity() -> None:
    d = 20_000
    frames = _frames(
        orders=[
            (1, d + 5, "paid", 10.0),  # 1 buys within the horizon: retained
            (2, d + 5, "refunded", 10.0),  # 2's only order is refunded: no purchase
            (3, d + 31, "paid", 10.0),  # 3 buys one day after the horizon: churned
            (6, d, "paid", 10.0),  # 6 buys on the day itself, not after it: churned
        ],
        events=[
            (4, d + 30, "login"),  # 4 logs in on the horizon's last day: retained
            (5, d + 2, "complaint"),  # 5 only complains: churned
        ],
    )
    active = active_after(frames, d, horizon=30)
    assert sorted(active.to_list()) == [1, 4]
    features = pl.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6]})
    assert label(features, active)["churned"].to_list() == [0, 1, 1, 0, 1, 1]


def test_cut_frames_forgets_what_was_not_known_yet() -> None:
    frames = _frames(
        customers=[(1, 100, None, None, None), (2, 300, None, None, None)],
        orders=[(1, 150, "paid", 5.0), (1, 250, "paid", 5.0)],
        events=[(1, 100, "login"), (1, 111, "login"), (1, 200, "login"), (1, 201, "login")],
        subscriptions=[(1, 120, 230), (1, 150, 180)],
    )
    cut = cut_frames(frames, 200)
    assert cut["customers"]["customer_id"].to_list() == [1]
    assert cut["orders"]["day"].to_list() == [150]
    assert cut["events"]["day"].to_list() == [111, 200]  # the features' 90 days: 111 … 200
    assert cut["subscriptions"]["cancelled_day"].to_list() == [None, 180]


def test_past_snapshots_skip_only_the_comeback_search(
    demo_frames: dict[str, pl.DataFrame],
) -> None:
    day = date(2026, 3, 1)
    known = cut_frames(demo_frames, day_number(day))
    full = compute_features(known, day)
    lean = compute_features(known, day, FeatureParams(comebacks=False))
    assert full["days_since_comeback"].drop_nulls().len() > 0  # the demo has comebacks
    assert lean["days_since_comeback"].null_count() == lean.height
    comeback = ("comeback_day", "days_since_comeback")
    assert_frame_equal(full.drop(comeback), lean.drop(comeback))


def test_explanations_add_up_to_the_models_log_odds() -> None:
    rng = np.random.default_rng(3)
    n = 4_000
    x = rng.normal(size=(n, len(churn_model.MODEL_FEATURES)))
    x[rng.random((n, x.shape[1])) < 0.1] = np.nan  # missing values take their own branch
    days = churn_model.MODEL_FEATURES.index("days_since_last")
    y = (np.nan_to_num(x[:, days]) + rng.normal(size=n) > 0.8).astype(int)
    fitted = churn_model.train(x, y, np.arange(n) % 5 == 0)
    contributions = fitted.contributions(x)
    _, base = fitted.paths()
    np.testing.assert_allclose(contributions.sum(axis=1) + base, fitted.margin(x), atol=1e-9)
    # the one feature that drives the label is the top reason of the riskiest customers
    risk, explained = fitted.explain(x)
    np.testing.assert_allclose(explained, contributions)
    np.testing.assert_allclose(risk, fitted.predict(x), atol=1e-12)
    reasons = boosting.reasons(fitted.names, x, explained)
    riskiest = np.argsort(-risk)[:100]
    top = [json.loads(reasons[int(i)])[0]["feature"] for i in riskiest]
    assert top.count("days_since_last") >= 95


def test_the_model_beats_both_baselines_on_the_demo_company(
    demo_frames: dict[str, pl.DataFrame],
) -> None:
    def features_at(day: date) -> pl.DataFrame:
        return compute_features(cut_frames(demo_frames, day_number(day)), day)

    features = features_at(END)
    risk, diagnostics = churn_risk(demo_frames, features, END, features_at)
    metrics = diagnostics["metrics"]
    assert diagnostics["beats_baselines"] is True
    for baseline in ("days_since_last", "one_minus_p_alive"):
        assert metrics["model"]["roc_auc"] > metrics[baseline]["roc_auc"]
        assert metrics["model"]["pr_auc"] > metrics[baseline]["pr_auc"]
        assert metrics["model"]["brier"] < metrics[baseline]["brier"]
    buyers = features.filter(pl.col("purchase_days") > 0)["customer_id"]
    scored = risk.filter(pl.col("churn_risk").is_not_null())
    assert sorted(scored["customer_id"].to_list()) == sorted(buyers.to_list())
    assert scored["churn_risk"].is_between(0, 1).all()
    for text in scored["churn_reasons"].head(200):
        listed = json.loads(text)
        assert len(listed) <= 3
        assert all(r["feature"] in churn_model.MODEL_FEATURES and r["push"] > 0 for r in listed)
        assert [r["push"] for r in listed] == sorted((r["push"] for r in listed), reverse=True)


def test_calibrated_risks_match_what_happened(demo_frames: dict[str, pl.DataFrame]) -> None:
    """Scored one horizon back, each decile's mean risk is close to its churn rate."""
    as_of = date(2026, 4, 1)

    def features_at(day: date) -> pl.DataFrame:
        return compute_features(cut_frames(demo_frames, day_number(day)), day)

    features = features_at(as_of)
    risk, _ = churn_risk(demo_frames, features, as_of, features_at)
    outcome = label(risk, active_after(demo_frames, day_number(as_of), 90))
    scored = outcome.drop_nulls("churn_risk").with_columns(
        (pl.col("churn_risk").rank("ordinal") * 10 // (pl.len() + 1)).alias("decile")
    )
    by_decile = scored.group_by("decile").agg(
        pl.col("churn_risk").mean().alias("predicted"), pl.col("churned").mean().alias("observed")
    )
    gaps = (by_decile["predicted"] - by_decile["observed"]).abs()
    # ~250 customers a decile: a rate near 0.5 wanders ±0.03 by chance alone
    assert gaps.mean() < 0.05  # expected calibration error over the deciles
    assert abs(scored["churn_risk"].mean() - scored["churned"].mean()) < 0.03  # type: ignore[operator]


def test_too_little_history_leaves_risk_empty_and_says_why() -> None:
    frames = _frames(
        customers=[(1, day_number(END) - 10, None, None, None)],
        orders=[(1, day_number(END) - 10, "paid", 5.0)],
    )

    def features_at(day: date) -> pl.DataFrame:
        return compute_features(cut_frames(frames, day_number(day)), day)

    risk, diagnostics = churn_risk(frames, features_at(END), END, features_at, ChurnParams())
    assert risk["churn_risk"].to_list() == [None]
    assert "at least 50 of each" in diagnostics["skipped"]
