"""What each customer did in the days after a snapshot: the churn label.

A customer churned after day t when the next ``horizon`` days hold no paid order and no sign
of activity. Activity is what the customer does of their own accord: every event but the ones a
leaving customer also produces (support tickets, complaints, cancellations) and the marks our
own messages leave (email opens and clicks: mail privacy features open every message and link
scanners click them, so people who left keep "opening" newsletters).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tenure.analytics.features import NOT_ACTIVITY


def active_after(frames: Mapping[str, pl.DataFrame], day: int, horizon: int) -> pl.Series:
    """Return the ids of customers with a paid order or activity in days (day, day + horizon]."""
    window = pl.col("day").is_between(day + 1, day + horizon)
    buyers = frames["orders"].filter(window & (pl.col("status") == "paid")).select("customer_id")
    active = (
        frames["events"].filter(window & ~pl.col("type").is_in(NOT_ACTIVITY)).select("customer_id")
    )
    return pl.concat([buyers, active]).unique()["customer_id"]


def label(features: pl.DataFrame, active: pl.Series) -> pl.DataFrame:
    """Add ``churned`` (1 when not in ``active``) to the features."""
    return features.with_columns(
        (~pl.col("customer_id").is_in(active.implode())).cast(pl.Int8).alias("churned")
    )
