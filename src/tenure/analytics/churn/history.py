"""The snapshot as of an earlier day, and what each customer did in the days after it.

A customer churned after day t when the next ``horizon`` days hold no paid order and no sign
of activity. Activity is every event but the ones a leaving customer also produces: support
tickets, complaints and cancellations.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

FEATURE_EVENT_DAYS = 90  # the features look at the last 90 days of events
NOT_ACTIVITY = ("support_ticket", "complaint", "subscription_cancelled")


def cut(frames: Mapping[str, pl.DataFrame], day: int) -> dict[str, pl.DataFrame]:
    """Return the frames as they were known at the end of day number ``day``.

    Events are kept for the features' 90 days only, so a feature reads the same whatever
    longer window the snapshot was taken with.
    """
    subscriptions = frames["subscriptions"]
    return {
        "customers": frames["customers"].filter(pl.col("acquired_day") <= day),
        "orders": frames["orders"].filter(pl.col("day") <= day),
        "events": frames["events"].filter(
            pl.col("day").is_between(day - FEATURE_EVENT_DAYS + 1, day)
        ),
        "surveys": frames["surveys"].filter(pl.col("day") <= day),
        "subscriptions": subscriptions.filter(pl.col("started_day") <= day).with_columns(
            pl.when(pl.col("cancelled_day") <= day).then(pl.col("cancelled_day"))
        ),
    }


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
