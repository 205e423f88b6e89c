"""Purchase sequences: "customers who bought A buy B about N days later".

For every pair of items (A, B) — products or categories — among each customer's first
purchases of each item (paid orders up to the as-of day):

    buyers_a        customers who bought A
    buyers_after    of them, customers whose first B came on a later day than their first A
    share           buyers_after / buyers_a
    share_within    of the A buyers whose first A is at least W days old, the share whose first
                    B came within W days of it (W = ``window_days``; a fair denominator: a
                    recent A buyer has not had W days yet)
    lag_q1 … q3     quartiles of the lag (days from first A to first B)
    lift            share / (buyers of B / all buyers)
    expected        Σ over A buyers c of 1 − (1 − p_B)^n_c, with n_c the number of c's items
                    first bought after A and p_B = B's share of all first purchases
                    other than A's (a customer's later items exclude A itself)
    z               (buyers_after − expected) / √expected

``expected`` is the count of A buyers who would later buy B if their later purchases were
drawn at random with B's popularity (Smith & Linden 2017, "Two decades of recommender systems
at Amazon.com", IEEE Internet Computing 21(3)): a popular B, or an A bought by heavy buyers,
raises the expectation as much as the observation, so neither ranks high by itself, unlike
raw lift, which flatters small counts. ``p_value`` is the Poisson upper tail P(X ≥ observed)
with mean ``expected``.

Each customer's items are capped at their ``max_items`` latest first purchases, so a few
customers with huge baskets cannot explode the self-join; the expectation uses the same
capped items. Computed in an in-memory DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
from scipy.stats import poisson

LEVELS = ("category", "product")

PURCHASE_SCHEMA = {
    "customer_id": pl.Int64,
    "day": pl.Int32,  # business-day number (days since 1970-01-01)
    "product_id": pl.String,
    "category": pl.String,
}

PAIR_SCHEMA = {
    "level": pl.String,
    "a": pl.String,
    "b": pl.String,
    "a_category": pl.String,
    "b_category": pl.String,
    "buyers_a": pl.Int64,
    "buyers_b": pl.Int64,
    "buyers_after": pl.Int64,
    "share": pl.Float64,
    "share_within": pl.Float64,
    "lag_q1": pl.Float64,
    "lag_median": pl.Float64,
    "lag_q3": pl.Float64,
    "lift": pl.Float64,
    "expected": pl.Float64,
    "z": pl.Float64,
    "p_value": pl.Float64,
}


@dataclass(frozen=True)
class SequenceParams:
    """Which pairs are kept and how baskets are capped."""

    min_support: int = 20  # customers who bought B after A
    max_items: int = 40  # latest distinct items per customer that enter the pairs
    window_days: int = 90  # the W of share_within


def first_purchases(purchases: pl.DataFrame, level: str, max_items: int) -> pl.DataFrame:
    """Return customer_id, item, category, day: each customer's first day of each item.

    Only the ``max_items`` latest items of each customer are kept (ties by item, for a
    reproducible cut).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    item = "product_id" if level == "product" else "category"
    frame = purchases.filter(pl.col(item).is_not_null())
    firsts = frame.group_by("customer_id", pl.col(item).alias("item")).agg(
        pl.col("day").min(), pl.col("category").first()
    )
    return (
        firsts.sort("customer_id", "day", "item", descending=[False, True, False])
        .filter(pl.int_range(pl.len()).over("customer_id") < max_items)
        .select("customer_id", "item", "category", "day")
    )


_PAIRS_SQL = """
WITH later AS (  -- n_c: how many of the customer's items came on a later day than this one
    SELECT customer_id, item, day,
           count(*) OVER (PARTITION BY customer_id ORDER BY day
                          RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS n_after
    FROM firsts
),
items AS (
    SELECT item, any_value(category) AS category, count(*) AS buyers,
           count(*) FILTER (WHERE day <= $as_of - $window) AS observable
    FROM firsts GROUP BY item
),
totals AS (
    SELECT count(DISTINCT customer_id) AS customers, count(*) AS purchases FROM firsts
),
pairs AS (
    SELECT a.item AS a, b.item AS b, b.day - a.day AS lag, a.day AS a_day
    FROM firsts a JOIN firsts b ON a.customer_id = b.customer_id AND b.day > a.day
),
counted AS (
    SELECT a, b, count(*) AS buyers_after,
           count(*) FILTER (WHERE lag <= $window AND a_day <= $as_of - $window) AS within,
           quantile_cont(lag, 0.25) AS lag_q1,
           quantile_cont(lag, 0.5) AS lag_median,
           quantile_cont(lag, 0.75) AS lag_q3
    FROM pairs GROUP BY a, b HAVING count(*) >= $min_support
),
histogram AS (  -- A buyers by their number of later items: the expectation needs no more
    SELECT item AS a, n_after, count(*) AS customers FROM later GROUP BY item, n_after
),
expected AS (
    SELECT c.a, c.b,
           sum(h.customers * (1 - pow(1 - ib.buyers / (t.purchases - ia.buyers), h.n_after)))
               AS expected
    FROM counted c
    JOIN histogram h ON h.a = c.a
    JOIN items ia ON ia.item = c.a
    JOIN items ib ON ib.item = c.b
    CROSS JOIN totals t
    GROUP BY c.a, c.b
)
SELECT c.a, c.b, ia.category AS a_category, ib.category AS b_category,
       ia.buyers AS buyers_a, ib.buyers AS buyers_b, c.buyers_after,
       c.buyers_after / ia.buyers AS share,
       CASE WHEN ia.observable > 0 THEN c.within / ia.observable END AS share_within,
       c.lag_q1, c.lag_median, c.lag_q3,
       (c.buyers_after / ia.buyers) / (ib.buyers / t.customers) AS lift,
       e.expected
FROM counted c
JOIN items ia ON ia.item = c.a
JOIN items ib ON ib.item = c.b
JOIN expected e ON e.a = c.a AND e.b = c.b
CROSS JOIN totals t
"""


def sequence_pairs(
    purchases: pl.DataFrame, as_of_day: int, params: SequenceParams | None = None
) -> pl.DataFrame:
    """Return the pairs of both levels (PAIR_SCHEMA) with at least ``min_support`` buyers.

    ``purchases``: one row per paid order line (PURCHASE_SCHEMA) up to ``as_of_day``.
    Sorted by level, then z descending.
    """
    params = params or SequenceParams()
    missing = [c for c in PURCHASE_SCHEMA if c not in purchases.columns]
    if missing:
        raise ValueError(f"purchases need the column(s) {', '.join(missing)}")
    frames = [
        level_pairs(first_purchases(purchases, level, params.max_items), level, as_of_day, params)
        for level in LEVELS
    ]
    return pl.concat(frames).sort("level", "z", "a", "b", descending=[False, True, False, False])


def level_pairs(
    firsts: pl.DataFrame, level: str, as_of_day: int, params: SequenceParams
) -> pl.DataFrame:
    """Return one level's pairs from its first purchases (``first_purchases``)."""
    con = duckdb.connect()
    try:
        con.register("firsts", firsts.to_arrow())
        table = con.execute(
            _PAIRS_SQL,
            {"as_of": as_of_day, "window": params.window_days, "min_support": params.min_support},
        ).to_arrow_table()
    finally:
        con.close()
    found = pl.from_arrow(table)
    assert isinstance(found, pl.DataFrame)  # noqa: S101  (from_arrow of a table)
    if found.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    observed = found["buyers_after"].to_numpy().astype(np.float64)
    expected = np.maximum(found["expected"].to_numpy(), 1e-12)
    return (
        found.with_columns(
            pl.lit(level).alias("level"),
            pl.Series("z", (observed - expected) / np.sqrt(expected)),
            pl.Series("p_value", poisson.sf(observed - 1, expected)),
        )
        .select(list(PAIR_SCHEMA))
        .cast(PAIR_SCHEMA)  # type: ignore[arg-type]
    )
