"""Next best offers: hand-made pairs and customers, and the time-split evaluation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tenure.analytics.offers import OfferParams, offers, popular_offers, repeat_shares
from tenure.analytics.offers_evaluation import evaluate, ranking_quality
from tenure.analytics.sequences import SequenceParams, first_purchases
from tests.analytics.test_sequences import AS_OF, CATEGORIES, WEIGHTS

PAIR = {
    "level": "product",
    "a_category": "c0",
    "b_category": "c1",
    "buyers_a": 100,
    "buyers_b": 50,
    "buyers_after": 40,
    "lift": 2.0,
    "expected": 10.0,
    "p_value": 1e-9,
}


def pairs(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame([{**PAIR, **row} for row in rows])


def firsts(rows: list[tuple[int, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(c, item, "c0", day) for c, item, day in rows],
        schema={"customer_id": pl.Int64, "item": pl.String, "category": pl.String, "day": pl.Int32},
        orient="row",
    )


STRONG = {"a": "A", "b": "B", "share": 0.4, "share_within": 0.38, "z": 9.0}
LAGS = {"lag_q1": 30.0, "lag_median": 52.0, "lag_q3": 80.0}
NO_REPEATS = pl.DataFrame(schema={"item": pl.String, "repeat_share": pl.Float64})


def test_an_offer_names_its_pair_its_due_day_and_leaves_out_what_was_bought() -> None:
    known = firsts(
        [
            (1, "A", 960),  # day 960: bought A 40 days before day 1000
            (2, "A", 990),  # bought A 10 days ago
            (3, "A", 600),  # bought A 400 days ago: long past the lags
            (4, "A", 960),
            (4, "B", 980),  # already has B, which does not repeat
        ]
    )
    weak = {"a": "A", "b": "W", "share": 0.9, "share_within": 0.9, "z": 1.0}  # not significant
    found = offers(
        known,
        pairs({**STRONG, **LAGS}, {**weak, **LAGS}),
        NO_REPEATS,
        1000,
        OfferParams(fill_popular=False),
    )
    by_customer = {row["customer_id"]: row for row in found.iter_rows(named=True)}
    assert set(by_customer) == {1, 2, 3}  # 4 has B; the weak pair is no evidence
    one = by_customer[1]
    assert (one["item"], one["from_item"], one["from_day"], one["due_day"]) == ("B", "A", 960, 1012)
    # 40 days: F = 0.25 + 0.25·10/22; p = share·(1 − F) / (1 − share·F)
    f = 0.25 + 0.25 * 10 / 22
    assert one["score"] == pytest.approx(0.4 * (1 - f) / (1 - 0.4 * f))
    assert by_customer[2]["due_day"] == 1042
    assert by_customer[3]["due_day"] == 1000  # overdue: due today
    assert by_customer[2]["score"] > one["score"] > by_customer[3]["score"]
    assert by_customer[3]["score"] == pytest.approx(0.0)  # past q3 + 2·IQR: none still to come


def test_a_repeating_item_stays_on_offer_and_popular_items_compete_by_base_rate() -> None:
    known = firsts([(4, "A", 960), (4, "B", 980), (5, "P", 900), (6, "P", 950), (7, "Q", 990)])
    repeats = pl.DataFrame({"item": ["B"], "repeat_share": [0.7]})
    found = offers(known, pairs({**STRONG, **LAGS}), repeats, 1000, OfferParams(per_customer=2))
    four = found.filter(pl.col("customer_id") == 4)
    # B repeats, so stays on offer; P, bought by half of last year's 4 buyers, is likelier than
    # B (share 0.4, less after 40 days) and comes first
    assert four["item"].to_list() == ["P", "B"]
    assert four["source"].to_list() == ["popular", "sequence"]
    assert four["score"][0] == pytest.approx(2 / 4)
    popular = popular_offers(known, repeats, 1000, OfferParams(per_customer=2))
    assert popular.filter(pl.col("customer_id") == 5)["item"].to_list() == [
        "A",
        "B",
    ]  # P is theirs; ties by name


def test_ranking_quality_counts_hits_per_customer() -> None:
    offered = pl.DataFrame(
        {"customer_id": [1, 1, 2, 2], "item": ["x", "y", "x", "z"], "rank": [1, 2, 1, 2]}
    )
    relevant = pl.DataFrame({"customer_id": [1, 2, 2, 3], "item": ["y", "q", "r", "x"]})
    quality = ranking_quality(offered, relevant, k=2)
    # customer 1: 1 hit of 1; 2: none of 2; 3: no offers, 0 of 1
    assert quality == {
        "precision": pytest.approx(1 / 6, abs=1e-4),
        "recall": pytest.approx(1 / 3, abs=1e-4),
        "hit_rate": pytest.approx(1 / 3, abs=1e-4),
    }


def simulate_with_future(seed: int = 5, customers: int = 4000) -> pl.DataFrame:
    """Random baskets over 700 days; 40% of P3 buyers buy P9 20–40 days after their first P3."""
    rng = np.random.default_rng(seed)
    products = list(CATEGORIES)
    rows = []
    for c in range(customers):
        days = np.sort(rng.integers(AS_OF - 700, AS_OF + 1, 1 + rng.poisson(2.5)))
        items = [(int(d), products[rng.choice(12, p=WEIGHTS)]) for d in days]
        rows += [(c, d, p) for d, p in items]
        p3 = [d for d, p in items if p == "P3"]
        if p3 and rng.random() < 0.4 and min(p3) + 40 <= AS_OF:
            rows.append((c, min(p3) + int(rng.integers(20, 41)), "P9"))
    frame = pl.DataFrame(
        rows,
        schema={"customer_id": pl.Int64, "day": pl.Int32, "product_id": pl.String},
        orient="row",
    )
    return frame.with_columns(pl.col("product_id").replace_strict(CATEGORIES).alias("category"))


def test_on_a_later_split_the_offers_beat_both_baselines() -> None:
    purchases = simulate_with_future()
    report = evaluate(
        purchases, AS_OF, 90, "product", SequenceParams(min_support=20), OfferParams(per_customer=3)
    )
    methods = report["methods"]
    assert report["customers"] > 500
    for metric in ("precision", "recall", "hit_rate"):
        assert methods["offer"][metric] > methods["most_popular"][metric]
        assert methods["offer"][metric] > methods["sequence_only"][metric]


def test_repeat_shares() -> None:
    purchases = pl.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3],
            "day": [1, 5, 2, 3, 3],
            "product_id": ["x", "x", "x", "y", "y"],
        }
    )
    shares = dict(repeat_shares(purchases, "product_id").iter_rows())
    assert shares == {"x": pytest.approx(0.5), "y": 0.0}  # 3 bought y twice on one day: once
    assert first_purchases(purchases.with_columns(category=pl.lit("k")), "product", 40).height == 3


def test_batches_of_customers_give_the_same_offers_and_a_tie_names_the_first_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tenure.analytics import offer_ranking

    # customer 1 bought A and C on the same day: both lead to B alike, so A (first by name)
    # is the reason, and B's chance is that of either: 1 − (1 − p)²
    known = firsts([(1, "C", 960), (1, "A", 960), (2, "A", 990), (3, "C", 600), (5, "Q", 990)])
    found = pairs({**STRONG, **LAGS}, {**STRONG, "a": "C", **LAGS})
    whole = offers(known, found, NO_REPEATS, 1000)
    one = whole.filter(customer_id=1, item="B").row(0, named=True)
    f = 0.25 + 0.25 * 10 / 22
    p = 0.4 * (1 - f) / (1 - 0.4 * f)
    assert (one["from_item"], one["score"]) == ("A", pytest.approx(1 - (1 - p) ** 2))
    monkeypatch.setattr(offer_ranking, "CHUNK_CELLS", 1)  # one customer a chunk
    assert offers(known, found, NO_REPEATS, 1000).equals(whole)
    assert set(whole["customer_id"]) == {1, 2, 3, 5}
