"""Holdout checks of a transaction model: errors, the by-frequency table, cumulative tracking.

These are the two pictures of the papers: repeat purchases week by week, cumulated, actual
against the model's expectation for the cohort (FHL 2005, figure 1); and the holdout purchases
expected for customers by the number of purchases they made in calibration (figure 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from tenure.analytics.clv.rft import RecencyFrequencyModel
from tenure.analytics.clv.summary import as_polars, occasions_table, unit_days


@dataclass(frozen=True)
class HoldoutErrors:
    """How far the model's holdout forecast is from what happened."""

    customers: int
    actual: float
    predicted: float
    percent_error: float  # aggregate: (predicted − actual) / actual × 100
    mae: float
    rmse: float

    def as_dict(self) -> dict[str, float | int]:
        """Return the figures as plain data."""
        return self.__dict__.copy()


def holdout_errors(model: RecencyFrequencyModel, summary: pl.DataFrame) -> HoldoutErrors:
    """Compare predicted and actual repeat purchases in the holdout period."""
    predicted = model.conditional_expected_purchases(float(summary["duration_holdout"][0]), summary)
    actual = summary["frequency_holdout"].to_numpy().astype(np.float64)
    total = float(actual.sum())
    return HoldoutErrors(
        customers=summary.height,
        actual=total,
        predicted=float(predicted.sum()),
        percent_error=float((predicted.sum() - total) / total * 100) if total else float("nan"),
        mae=float(np.mean(np.abs(predicted - actual))),
        rmse=float(np.sqrt(np.mean((predicted - actual) ** 2))),
    )


def by_frequency(model: RecencyFrequencyModel, summary: pl.DataFrame, top: int = 7) -> pl.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency (``top``+ pooled)."""
    predicted = model.conditional_expected_purchases(float(summary["duration_holdout"][0]), summary)
    frame = summary.select(
        pl.col("frequency").clip(upper_bound=top).alias("frequency"),
        pl.col("frequency_holdout").cast(pl.Float64).alias("actual"),
        pl.Series("predicted", predicted),
    )
    return (
        frame.group_by("frequency")
        .agg(pl.len().alias("customers"), pl.col("actual").mean(), pl.col("predicted").mean())
        .sort("frequency")
        .with_columns(pl.col("frequency").cast(pl.String).replace({str(top): f"{top}+"}))
    )


def cumulative_tracking(
    model: RecencyFrequencyModel,
    occasions: pl.DataFrame,
    *,
    start: date,
    end: date,
    unit: str = "W",
) -> pl.DataFrame:
    """Cumulative repeat purchases per period since ``start``: actual, and the model's.

    ``occasions`` has one row per customer and purchase day (columns ``customer_id``, ``day``).
    The model's curve is Σ_i E[X(t − s_i)] over customers i first buying at s_i (FHL 2005).
    """
    scale = unit_days(unit)
    first = occasions.group_by("customer_id").agg(pl.col("day").min().alias("first"))
    repeat = occasions.join(first, on="customer_id").filter(pl.col("day") > pl.col("first"))
    periods = int(np.ceil((end - start).days / scale))
    grid = np.arange(1, periods + 1, dtype=np.float64)
    days_in = (pl.col("day") - pl.lit(start)).dt.total_days()
    repeat_period = repeat.select(days_in // scale).to_series().to_numpy()
    actual = np.cumsum(np.bincount(repeat_period.astype(np.int64), minlength=periods)[:periods])
    offsets = first.select((pl.col("first") - pl.lit(start)).dt.total_days()).to_series()
    expected = np.zeros(periods)
    for offset_days, count in offsets.value_counts().iter_rows():
        since = np.clip(grid - offset_days / scale, 0.0, None)
        expected += count * np.where(
            since > 0, model.expected_purchases(np.maximum(since, 1e-12)), 0.0
        )
    return pl.DataFrame(
        {
            "period": grid.astype(np.int64),
            "actual": actual.astype(np.float64),
            "predicted": expected,
        }
    )


def occasions_of(transactions: Any, customer_col: str, date_col: str) -> pl.DataFrame:
    """One row per customer and purchase day, for ``cumulative_tracking``."""
    return occasions_table(as_polars(transactions), customer_col, date_col, None).select(
        "customer_id", "day"
    )
