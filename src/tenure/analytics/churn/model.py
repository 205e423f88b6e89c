"""The churn model's inputs: 24 customer facts, as a float matrix for the booster."""

from __future__ import annotations

import numpy as np
import polars as pl

from tenure.analytics import boosting

# What the model sees; every one of them is a customer fact a person can check.
MODEL_FEATURES = (
    "frequency",
    "tenure_days",
    "days_since_last",
    "typical_gap_days",
    "overdue_ratio",
    "revenue_total",
    "average_order_value",
    "revenue_30",
    "revenue_90",
    "revenue_365",
    "orders_30",
    "orders_90",
    "orders_365",
    "events_30",
    "events_prior_30",
    "activity_trend",
    "days_since_event",
    "days_since_active_event",
    "engagement",
    "complaints_90",
    "tickets_90",
    "last_nps",
    "refunds",
    "active_subscriptions",
    "email_consent",
)


def matrix(features: pl.DataFrame) -> np.ndarray:
    """Return the model's inputs as floats; a missing value is NaN (LightGBM routes it)."""
    frame = features.with_columns(
        (pl.col("revenue_total") / pl.col("orders_paid").replace(0, None)).alias(
            "average_order_value"
        ),
        pl.col("email_consent").cast(pl.Float64),
    ).select(pl.col(name).cast(pl.Float64) for name in MODEL_FEATURES)
    return frame.fill_null(float("nan")).to_numpy()


def train(x: np.ndarray, y: np.ndarray, calibrate: np.ndarray) -> boosting.BoostedModel:
    """Fit and calibrate the churn booster on rows of ``matrix``."""
    return boosting.train(x, y, calibrate, MODEL_FEATURES)
