"""Churn risk in a scoring run: train on the past, test on a later past, score today.

With a horizon of H days and the run's day d:

    snapshot at d − 2H, labelled by days (d − 2H, d − H]   → training (evaluation model)
    snapshot at d − H,  labelled by days (d − H, d]        → test: model against the baselines
    both snapshots together                                → the model that scores day d

Only buyers (at least one paid purchase by the snapshot's day) are labelled and scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from tenure.analytics.boosting import BoostedModel, calibration_rows, reasons
from tenure.analytics.churn import evaluate, history, model
from tenure.analytics.clv.base import ConvergenceError
from tenure.analytics.features import day_number
from tenure.analytics.past_snapshots import NotEnoughHistory, Split, at_most, enough_of_each
from tenure.analytics.value import probability_alive

OUTPUT_SCHEMA = {"customer_id": pl.Int64, "churn_risk": pl.Float64, "churn_reasons": pl.String}


@dataclass(frozen=True)
class ChurnParams:
    """How far ahead churn is judged and how much past the model learns from."""

    horizon_days: int = 90
    max_training_rows: int = 300_000
    min_per_class: int = 50
    value_model: str = "bgnbd"


def _labelled(
    frames: Mapping[str, pl.DataFrame],
    features_at: Callable[[date], pl.DataFrame],
    day: date,
    params: ChurnParams,
) -> pl.DataFrame:
    buyers = features_at(day).filter(pl.col("purchase_days") > 0)
    active = history.active_after(frames, day_number(day), params.horizon_days)
    return enough_of_each(
        history.label(buyers, active),
        "churned",
        params.min_per_class,
        lambda churned, retained: (
            f"the snapshot of {day} has {churned} churned and {retained} retained buyers; "
            f"at least {params.min_per_class} of each are needed"
        ),
    )


def no_risk(features: pl.DataFrame) -> pl.DataFrame:
    """Return the output columns left empty: for a run that cannot (or may not) learn churn."""
    return features.select("customer_id").with_columns(
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in OUTPUT_SCHEMA.items()
        if name != "customer_id"
    )


def _fit(frame: pl.DataFrame) -> BoostedModel:
    return model.train(
        model.matrix(frame),
        frame["churned"].to_numpy(),
        calibration_rows(frame["customer_id"]),
    )


def _evaluate(
    train: pl.DataFrame, test: pl.DataFrame, params: ChurnParams
) -> tuple[dict[str, Any], BoostedModel]:
    fitted = _fit(train)
    y_train, y_test = train["churned"].to_numpy(), test["churned"].to_numpy()
    days_train = train["days_since_last"].cast(pl.Float64).to_numpy()
    days_test = test["days_since_last"].cast(pl.Float64).to_numpy()
    metrics: dict[str, dict[str, Any]] = {
        "model": evaluate.quality(y_test, fitted.predict(model.matrix(test))),
        "days_since_last": evaluate.quality(
            y_test,
            evaluate.calibrated_baseline(
                evaluate.days_since_last_input(days_train),
                y_train,
                evaluate.days_since_last_input(days_test),
            ),
        ),
    }
    try:
        alive, fitted_params = probability_alive(train, params.value_model)
        # each snapshot gets its own fit; the later one starts where the earlier one ended
        alive_later, _ = probability_alive(test, params.value_model, fitted_params)
        alive_train, alive_test = alive.to_numpy(), alive_later.to_numpy()
        metrics["one_minus_p_alive"] = evaluate.quality(
            y_test,
            evaluate.calibrated_baseline(
                evaluate.one_minus_p_alive_input(alive_train),
                y_train,
                evaluate.one_minus_p_alive_input(alive_test),
            ),
        )
    except ConvergenceError as exc:
        metrics["one_minus_p_alive"] = {"skipped": exc.message}
    baselines = [m for k, m in metrics.items() if k != "model" and "roc_auc" in m]
    beats = all(
        metrics["model"]["roc_auc"] > b["roc_auc"]
        and metrics["model"]["pr_auc"] > b["pr_auc"]
        and metrics["model"]["brier"] < b["brier"]
        for b in baselines
    )
    return {"metrics": metrics, "beats_baselines": beats}, fitted


def _both(train: pl.DataFrame, test: pl.DataFrame, params: ChurnParams) -> pl.DataFrame:
    """Return the rows the scoring model learns from: both snapshots, at most so many."""
    return at_most(pl.concat([train, test], how="vertical_relaxed"), params.max_training_rows)


def fit_as_of(
    frames: Mapping[str, pl.DataFrame],
    day: date,
    features_at: Callable[[date], pl.DataFrame],
    params: ChurnParams | None = None,
) -> BoostedModel | None:
    """Return the model a scoring run of ``day`` scores with, learned from the past only.

    The same two snapshots and rows as ``churn_risk`` (without its evaluation against the
    baselines); None where the past is too short or one-sided to learn from.
    """
    params = params or ChurnParams()
    split = Split.before(day, params.horizon_days)
    try:
        train, test = split.labelled(lambda d: _labelled(frames, features_at, d, params))
    except NotEnoughHistory:
        return None
    return _fit(_both(train, test, params))


def risk_of(fitted: BoostedModel, features: pl.DataFrame) -> pl.DataFrame:
    """Return (customer_id, churn_risk) for ``features``: buyers scored, the others null.

    Without the reasons (a dry run reads the risk only): the booster's plain prediction.
    """
    buyers = features.filter(pl.col("purchase_days") > 0)
    risk = np.round(fitted.predict(model.matrix(buyers)), 4) if buyers.height else np.empty(0)
    scored = pl.DataFrame(
        {"customer_id": buyers["customer_id"], "churn_risk": risk},
        schema={"customer_id": pl.Int64, "churn_risk": pl.Float64},
    )
    return features.select("customer_id").join(scored, on="customer_id", how="left")


def churn_risk(
    frames: Mapping[str, pl.DataFrame],
    features: pl.DataFrame,
    as_of: date,
    features_at: Callable[[date], pl.DataFrame],
    params: ChurnParams | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return (customer_id, churn_risk, churn_reasons) for ``features`` and the diagnostics.

    ``frames`` is the run's snapshot with events reaching 2·horizon + 90 days back;
    ``features_at(day)`` computes the features as of an earlier day.
    """
    params = params or ChurnParams()
    split = Split.before(as_of, params.horizon_days)
    diagnostics = split.diagnostics()
    empty = no_risk(features)
    try:
        train, test = split.labelled(lambda day: _labelled(frames, features_at, day, params))
    except NotEnoughHistory as exc:
        diagnostics["skipped"] = str(exc)
        return empty, diagnostics
    sampled = at_most(train, params.max_training_rows)
    evaluation, _ = _evaluate(sampled, test, params)
    diagnostics.update(evaluation)
    diagnostics["test"] = {
        "customers": test.height,
        "churn_rate": round(int(test["churned"].sum()) / test.height, 4),
    }
    both = _both(train, test, params)
    final = _fit(both)
    diagnostics["trained_rows"] = both.height
    diagnostics["importance"] = final.importance()
    diagnostics["calibration"] = {
        "slope": round(final.slope, 4),
        "intercept": round(final.intercept, 4),
    }
    buyers = features.filter(pl.col("purchase_days") > 0)
    if buyers.height == 0:
        return empty, diagnostics
    x = model.matrix(buyers)
    risk, contributions = final.explain(x)
    scored = pl.DataFrame(
        {
            "customer_id": buyers["customer_id"],
            "churn_risk": np.round(risk, 4),
            "churn_reasons": reasons(final.names, x, contributions).alias("churn_reasons"),
        },
        schema=OUTPUT_SCHEMA,
    )
    return features.select("customer_id").join(scored, on="customer_id", how="left"), diagnostics
