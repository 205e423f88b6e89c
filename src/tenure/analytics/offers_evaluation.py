"""How good the next best offers are, on a later time split (like the churn model's test).

With the run's day d and a horizon H: sequences and offers are computed from what was known
on day d − H, and compared with what each customer bought in days (d − H, d]. A purchase
counts when the offer could have named it: an item the customer had not bought by d − H, or
one that repeats. Over the customers who bought before d − H and bought such an item after:

    precision@k   hits among the k offers / k, averaged over customers
    recall@k      hits / items bought, averaged over customers
    hit rate      the share of customers with at least one hit

for the offers, for "sequence only" (the strongest pair's share, no timing, no fallback) and
for "most popular" (last year's most bought items the customer does not have).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tenure.analytics.offers import OfferParams, offers, popular_offers
from tenure.analytics.propensity import PropensityParams, learned_ranking
from tenure.analytics.sequences import (
    SequenceParams,
    firsts_and_repeats,
    level_pairs,
)

ITEM_COLUMN = {"product": "product_id", "category": "category"}


def relevant_purchases(
    past: pl.DataFrame, future: pl.DataFrame, level: str, repeats: pl.DataFrame, repeat_from: float
) -> pl.DataFrame:
    """Return customer_id, item: what past buyers bought later that an offer could name."""
    item = ITEM_COLUMN[level]
    owned = past.select("customer_id", pl.col(item).alias("item")).unique()
    bought = future.select("customer_id", pl.col(item).alias("item")).drop_nulls().unique()
    bought = bought.join(past.select("customer_id").unique(), on="customer_id", how="semi")
    again = repeats.filter(pl.col("repeat_share") >= repeat_from).select("item")
    return pl.concat(
        [
            bought.join(owned, on=["customer_id", "item"], how="anti"),
            bought.join(owned, on=["customer_id", "item"], how="semi").join(
                again, on="item", how="semi"
            ),
        ]
    )


def per_customer(offered: pl.DataFrame, relevant: pl.DataFrame, k: int) -> pl.DataFrame:
    """Return customer_id, relevant, hits: each customer's hits among ``offered``'s top k."""
    counts = relevant.group_by("customer_id").agg(pl.len().alias("relevant"))
    hits = (
        offered.filter(pl.col("rank") <= k)
        .join(relevant, on=["customer_id", "item"], how="semi")
        .group_by("customer_id")
        .agg(pl.len().alias("hits"))
    )
    return (
        counts.join(hits, on="customer_id", how="left")
        .with_columns(pl.col("hits").fill_null(0))
        .sort("customer_id")
    )


def ranking_quality(offered: pl.DataFrame, relevant: pl.DataFrame, k: int) -> dict[str, float]:
    """Return precision@k, recall@k and hit rate of ``offered`` against ``relevant``."""
    scored = per_customer(offered, relevant, k)
    if scored.is_empty():
        return {"precision": 0.0, "recall": 0.0, "hit_rate": 0.0}
    means = scored.select(
        (pl.col("hits") / k).mean().alias("precision"),
        (pl.col("hits") / pl.col("relevant")).mean().alias("recall"),
        (pl.col("hits") > 0).mean().alias("hit_rate"),
    ).row(0, named=True)
    return {name: round(float(value), 4) for name, value in means.items()}


def evaluate(
    purchases: pl.DataFrame,
    as_of_day: int,
    horizon_days: int,
    level: str,
    sequence_params: SequenceParams,
    offer_params: OfferParams,
    learned: PropensityParams | None = None,
) -> dict[str, Any]:
    """Compare the offers with both baselines on the split at ``as_of_day − horizon_days``.

    With ``learned``, the offers are the learned model's (``propensity.blend``) fitted on the
    past, and the sequences' own offers are shown beside them (``sequences``).
    """
    cut = as_of_day - horizon_days
    past = purchases.filter(pl.col("day") <= cut)
    future = purchases.filter((pl.col("day") > cut) & (pl.col("day") <= as_of_day))
    firsts, repeats = firsts_and_repeats(past, level, sequence_params.max_items)
    pairs = level_pairs(firsts, level, cut, sequence_params)
    relevant = relevant_purchases(past, future, level, repeats, offer_params.repeat_from)
    k = offer_params.per_customer
    baseline = OfferParams(**{**offer_params.__dict__, "timing": False, "fill_popular": False})
    sequence = offers(firsts, pairs, repeats, cut, offer_params)
    methods = {
        "offer": sequence,
        "sequence_only": offers(firsts, pairs, repeats, cut, baseline),
        "most_popular": popular_offers(firsts, repeats, cut, offer_params),
    }
    if learned is not None:
        methods["offer"] = learned_ranking(
            past, firsts, repeats, sequence, cut, learned, offer_params, ITEM_COLUMN[level]
        )
        methods["sequences"] = sequence
    return {
        "level": level,
        "train_as_of_day": cut,
        "horizon_days": horizon_days,
        "k": k,
        "pairs": int((pairs["z"] >= offer_params.min_z).sum()) if pairs.height else 0,
        "customers": relevant["customer_id"].n_unique(),
        "methods": {name: ranking_quality(o, relevant, k) for name, o in methods.items()},
    }
