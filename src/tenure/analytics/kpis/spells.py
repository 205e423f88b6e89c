"""Active spells: from a purchase until ``churn_after`` days pass without another.

A customer is *active* on day x when they made a paid purchase in (x − churn_after, x]. Their
purchase days fall into spells separated by silences longer than ``churn_after`` days; a spell
is active from its first purchase day to its last + churn_after − 1, then the customer *lapses*
(churns) — unless that day is still to come. The second and later spells are *win-backs*.
Counting spells instead of customer-days keeps every monthly figure one pass over the buyers.
"""

from __future__ import annotations

import polars as pl


def purchase_days(orders: pl.DataFrame) -> pl.DataFrame:
    """Return the distinct (customer_id, day) of paid orders."""
    return orders.filter(pl.col("status") == "paid").select("customer_id", "day").unique()


def spells(days: pl.DataFrame, churn_after: int) -> pl.DataFrame:
    """Return (customer_id, spell, start, end): ``end`` is the first day no longer active."""
    ordered = days.sort("customer_id", "day").with_columns(
        (pl.col("day") - pl.col("day").shift(1).over("customer_id")).alias("gap")
    )
    ordered = ordered.with_columns(
        (pl.col("gap").is_null() | (pl.col("gap") > churn_after))
        .cast(pl.Int32)
        .cum_sum()
        .over("customer_id")
        .alias("spell")
    )
    return ordered.group_by("customer_id", "spell").agg(
        pl.col("day").min().alias("start"), (pl.col("day").max() + churn_after).alias("end")
    )


def active_ids(spell_frame: pl.DataFrame, day: int) -> pl.Series:
    """Return the ids of the customers active on ``day``."""
    return spell_frame.filter((pl.col("start") <= day) & (pl.col("end") > day))["customer_id"]


def active_on(spell_frame: pl.DataFrame, day: int) -> int:
    """Return how many customers are active on ``day``."""
    return active_ids(spell_frame, day).len()
