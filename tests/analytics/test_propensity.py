"""The learned propensity (BPR): on the demo company's later split it beats the baselines, its
offers leave out what was bought and keep the sequences' reasons, and a refit is the same."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl
import pytest

from tenure.analytics.offers import OfferParams, offers, repeat_shares
from tenure.analytics.offers_evaluation import ITEM_COLUMN, evaluate, relevant_purchases
from tenure.analytics.propensity import (
    PropensityParams,
    blend,
    fit,
    learned_offers,
    learned_ranking,
    purchase_days,
)
from tenure.analytics.sequences import SequenceParams, first_purchases, level_pairs
from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate

HORIZON = 90


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, int]:
    """The demo company's paid order lines (10,000 customers, seed 7) and its last day."""
    data = generate(DemoConfig(customers=10_000, seed=7, end=date(2026, 12, 1)))
    orders = data.tables["orders"].filter(pl.col("status") == "paid")
    purchases = orders.join(data.tables["order_lines"], left_on="id", right_on="order_id").select(
        "customer_id",
        pl.col("ordered_at").dt.date().cast(pl.Int32).alias("day"),
        "product_id",
        "category",
    )
    return purchases, int(purchases["day"].max())  # type: ignore[arg-type]


def _quality(offered: pl.DataFrame, relevant: pl.DataFrame, k: int) -> dict[str, float]:
    """precision@k, recall@k and hit rate counted customer by customer in plain Python."""
    bought: dict[int, set[str]] = defaultdict(set)
    for customer, item in relevant.iter_rows():
        bought[customer].add(item)
    named: dict[int, list[str]] = defaultdict(list)
    for customer, rank, item in offered.select("customer_id", "rank", "item").iter_rows():
        if rank <= k:
            named[customer].append(item)
    hits = {c: len(bought[c] & set(named.get(c, []))) for c in bought}
    n = len(bought)
    return {
        "precision": round(sum(h / k for h in hits.values()) / n, 4),
        "recall": round(sum(hits[c] / len(bought[c]) for c in bought) / n, 4),
        "hit_rate": round(sum(h > 0 for h in hits.values()) / n, 4),
    }


def test_at_product_level_the_learned_offers_beat_both_baselines_on_the_later_split(
    demo: tuple[pl.DataFrame, int],
) -> None:
    purchases, as_of = demo
    figures = evaluate(
        purchases,
        as_of,
        HORIZON,
        "product",
        SequenceParams(),
        OfferParams(),
        PropensityParams(),
    )
    methods = figures["methods"]
    for metric in ("precision", "hit_rate"):
        assert methods["offer"][metric] > methods["most_popular"][metric]
        assert methods["offer"][metric] > methods["sequence_only"][metric]
        assert methods["offer"][metric] >= methods["sequences"][metric]
    # the figures are what a count of our own gives
    cut = as_of - HORIZON
    past = purchases.filter(pl.col("day") <= cut)
    future = purchases.filter((pl.col("day") > cut) & (pl.col("day") <= as_of))
    firsts = first_purchases(past, "product", SequenceParams().max_items)
    repeats = repeat_shares(past, "product_id")
    pairs = level_pairs(firsts, "product", cut, SequenceParams())
    sequence = offers(firsts, pairs, repeats, cut, OfferParams())
    offered = learned_ranking(
        past, firsts, repeats, sequence, cut, PropensityParams(), OfferParams(), "product_id"
    )
    relevant = relevant_purchases(past, future, "product", repeats, 0.5)
    assert _quality(offered, relevant, 3) == methods["offer"]
    assert _quality(sequence, relevant, 3) == methods["sequences"]


def test_learned_offers_leave_out_what_was_bought_and_a_refit_is_the_same(
    demo: tuple[pl.DataFrame, int],
) -> None:
    purchases, as_of = demo
    firsts = first_purchases(purchases, "product", 40)
    repeats = repeat_shares(purchases, "product_id")
    days = purchase_days(purchases, ITEM_COLUMN["product"])
    offered = learned_offers(fit(days), firsts, repeats, as_of, 3)
    again = learned_offers(fit(days), firsts, repeats, as_of, 3)
    assert offered.equals(again)
    again_items = set(repeats.filter(pl.col("repeat_share") >= 0.5)["item"])
    owned = firsts.select("customer_id", "item")
    wrong = offered.join(owned, on=["customer_id", "item"]).filter(
        ~pl.col("item").is_in(list(again_items))
    )
    assert wrong.is_empty()
    ranks = offered.group_by("customer_id").agg(pl.col("rank").sort())
    assert all(r.to_list() == list(range(1, len(r) + 1)) for r in ranks["rank"])
    # a learned offer's reason is an item the customer bought, other than the one offered
    reasons = offered.filter(pl.col("from_item").is_not_null())
    assert reasons.height > 0.9 * offered.height
    assert (reasons["from_item"] != reasons["item"]).all()
    bought = reasons.join(
        owned.rename({"item": "from_item"}), on=["customer_id", "from_item"], how="semi"
    )
    assert bought.height == reasons.height
    assert set(offered["source"]) == {"learned"}
    assert offered["due_day"].eq(as_of).all()


def test_blend_puts_due_sequence_offers_first_then_the_learned_order_with_reasons() -> None:
    base = {"category": "c", "from_day": 1, "share": None, "share_within": None}
    learned = pl.DataFrame(
        [
            {**base, "customer_id": 1, "rank": 1, "item": "B", "score": 2.0, "source": "learned"},
            {**base, "customer_id": 1, "rank": 2, "item": "C", "score": 0.0, "source": "learned"},
        ]
    ).with_columns(from_item=pl.lit("X"), lag_median=pl.lit(None, pl.Float64), due_day=pl.lit(100))
    sequence = pl.DataFrame(
        [
            {
                **base,
                "customer_id": 1,
                "rank": 1,
                "item": "C",
                "score": 0.3,
                "source": "sequence",
                "share": 0.4,
                "share_within": 0.38,
            },
            {**base, "customer_id": 1, "rank": 2, "item": "D", "score": 0.2, "source": "popular"},
            {**base, "customer_id": 1, "rank": 3, "item": "E", "score": 0.1, "source": "sequence"},
        ]
    ).with_columns(
        from_item=pl.lit("A"),
        lag_median=pl.lit(52.0),
        due_day=pl.when(pl.col("item") == "E").then(100).otherwise(120),
    )
    from tenure.analytics.offers import OFFER_SCHEMA

    made = blend(
        learned.cast(OFFER_SCHEMA).select(list(OFFER_SCHEMA)),  # type: ignore[arg-type]
        sequence.cast(OFFER_SCHEMA).select(list(OFFER_SCHEMA)),  # type: ignore[arg-type]
        100,
        3,
    )
    rows = made.to_dicts()
    # E is due (day 100): first; then the learned order, C with its sequence's reason
    assert [(r["rank"], r["item"], r["source"]) for r in rows] == [
        (1, "E", "sequence"),
        (2, "B", "learned"),
        (3, "C", "sequence"),
    ]
    assert rows[1]["score"] == pytest.approx(1 / (1 + 2.718281828459045**-2.0))
    assert rows[2]["from_item"] == "A" and rows[2]["score"] == 0.3
    assert rows[2]["due_day"] == 120 and rows[2]["share_within"] == 0.38
    assert blend(learned.cast(OFFER_SCHEMA), sequence.cast(OFFER_SCHEMA), 100, 1)[  # type: ignore[arg-type]
        "item"
    ].to_list() == ["E"]
