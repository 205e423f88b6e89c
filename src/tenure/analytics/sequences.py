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
capped items. Counted with integer codes and lag histograms
(``tenure.analytics.sequence_histogram``), never a row per customer × pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tenure.analytics.sequence_histogram import histogram_pairs, item_firsts

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
    return firsts_and_repeats(purchases, level, max_items)[0]


def firsts_and_repeats(
    purchases: pl.DataFrame, level: str, max_items: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``first_purchases`` and ``offers.repeat_shares`` of a level from one sort.

    An item was bought on two days or more exactly when its last day is after its first, so
    one pass over the order lines gives both (the repeats count every item, before the cap).
    The firsts are sorted by customer, then latest day first, then item; their category is
    the item's (that of its earliest line, should lines disagree).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    item = "product_id" if level == "product" else "category"
    return item_firsts(purchases, item, max_items)


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
    found = histogram_pairs(firsts, as_of_day, params.min_support, params.window_days)
    if found.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    return (
        found.with_columns(pl.lit(level).alias("level")).select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA)  # type: ignore[arg-type]
    )
