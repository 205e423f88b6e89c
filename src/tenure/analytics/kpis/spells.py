"""Active spells: from a purchase until ``churn_after`` days pass without another.

A customer is *active* on day x when they made a paid purchase in (x − churn_after, x]. Their
purchase days fall into spells separated by silences longer than ``churn_after`` days; a spell
is active from its first purchase day to its last + churn_after − 1, then the customer *lapses*
(churns) — unless that day is still to come. The second and later spells are *win-backs*.
Counting spells instead of customer-days keeps every monthly figure one pass over the buyers.

Purchase days come sorted by customer, then day, so spells, first days and second days are
read off neighbouring rows: no group-by over millions of rows (at a million customers that
took the KPIs' days and spells from 4 s to well under one).
"""

from __future__ import annotations

import polars as pl

# (customer, day) packed in one integer: customer · 2^24 + day + 2^23, so one sort of one
# column orders both (day numbers stay within ±2^23, the years 24,900 BC to AD 24,900)
_DAY_SPAN = 1 << 24
_DAY_SHIFT = 1 << 23


def purchase_days(orders: pl.DataFrame) -> pl.DataFrame:
    """Return the distinct (customer_id, day) of paid orders, sorted by customer then day."""
    key = (
        orders.filter(pl.col("status") == "paid")
        .select(
            pl.col("customer_id").cast(pl.Int64) * _DAY_SPAN
            + pl.col("day").cast(pl.Int64)
            + _DAY_SHIFT
        )
        .to_series()
        .sort()
    )
    key = key.filter(key != key.shift(1, fill_value=-1))  # sorted: equal keys are neighbours
    return pl.DataFrame(
        {
            "customer_id": key // _DAY_SPAN,
            "day": (key % _DAY_SPAN - _DAY_SHIFT).cast(pl.Int32),
        }
    )


def _new_customer() -> pl.Expr:
    """Mark a customer's first row (rows sorted by customer)."""
    return pl.col("customer_id") != pl.col("customer_id").shift(1, fill_value=-1)


def firsts_of(days: pl.DataFrame) -> pl.DataFrame:
    """Return (customer_id, first_day, second_day) from ``purchase_days``; no second: null."""
    second = (
        pl.when(pl.col("customer_id").shift(-1) == pl.col("customer_id"))
        .then(pl.col("day").shift(-1))
        .alias("second_day")
    )
    return (
        days.select(
            "customer_id", pl.col("day").alias("first_day"), second, _new_customer().alias("first")
        )
        .filter("first")
        .drop("first")
    )


def spells(days: pl.DataFrame, churn_after: int) -> pl.DataFrame:
    """Return (customer_id, spell, start, end) from ``purchase_days`` (sorted by customer, day).

    ``end`` is the first day no longer active; ``spell`` counts each customer's spells from 1.
    """
    new_customer = _new_customer()
    gap = pl.col("day") - pl.col("day").shift(1)
    marked = days.with_columns(
        new_customer.alias("new_customer"),
        (new_customer | (gap > churn_after)).alias("start_here"),
    ).with_columns(pl.col("start_here").cum_sum().alias("global"))
    # the spell number within the customer: the global count minus the customer's first one
    first_global = pl.when("new_customer").then(pl.col("global")).forward_fill()
    marked = marked.with_columns(
        (pl.col("global") - first_global + 1).cast(pl.Int32).alias("spell"),
        # a spell's last row is the row before the next spell's first (or the last row)
        pl.col("start_here").shift(-1, fill_value=True).alias("end_here"),
    )
    starts = marked.filter("start_here")
    ends = marked.filter("end_here")
    return pl.DataFrame(
        {
            "customer_id": starts["customer_id"],
            "spell": starts["spell"],
            "start": starts["day"],
            "end": ends["day"] + churn_after,
        }
    )


def active_ids(spell_frame: pl.DataFrame, day: int) -> pl.Series:
    """Return the ids of the customers active on ``day``."""
    return spell_frame.filter((pl.col("start") <= day) & (pl.col("end") > day))["customer_id"]


def active_on(spell_frame: pl.DataFrame, day: int) -> int:
    """Return how many customers are active on ``day``."""
    return active_ids(spell_frame, day).len()
