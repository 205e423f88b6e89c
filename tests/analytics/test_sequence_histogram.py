"""The histogram count of the sequence pairs against a customer-by-customer brute force.

Random stores with the edge cases the counting must get right: several items on one day (no
pair between them), items bought again (only the first day counts), baskets over the cap,
pairs just below and at the minimum support, and catalogues large enough for the sparse
counters and the second pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tenure.analytics import sequence_histogram
from tenure.analytics.sequence_histogram import histogram_quantiles, later_counts
from tenure.analytics.sequences import (
    SequenceParams,
    first_purchases,
    firsts_and_repeats,
    sequence_pairs,
)
from tests.analytics.test_sequences import brute_force

AS_OF = 20_000


def random_store(seed: int, customers: int, products: int, span: int = 120) -> pl.DataFrame:
    """Few days (many same-day ties), repeats, and some customers with huge baskets."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        lines = 1 + rng.poisson(4) if c % 50 else 60  # every 50th customer over any cap
        days = rng.integers(AS_OF - span, AS_OF + 1, lines)
        weights = 1 / np.arange(1, products + 1)
        chosen = rng.choice(products, lines, p=weights / weights.sum())
        rows += [(c, int(d), f"P{p:03d}", f"c{p % 5}") for d, p in zip(days, chosen, strict=True)]
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.Int64,
            "day": pl.Int32,
            "product_id": pl.String,
            "category": pl.String,
        },
        orient="row",
    )


def _compare(purchases: pl.DataFrame, level: str, params: SequenceParams) -> int:
    """Assert our pairs equal the brute force's; return how many there are."""
    item = "product_id" if level == "product" else "category"
    pairs = sequence_pairs(purchases, AS_OF, params).filter(pl.col("level") == level)
    ours = pairs.sort("a", "b").drop("level", "a_category", "b_category").to_pandas()
    theirs = brute_force(purchases.to_pandas(), item, AS_OF, params)
    assert len(ours) == len(theirs)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9)
    return len(ours)


@pytest.mark.parametrize(
    ("seed", "level", "params"),
    [
        (1, "product", SequenceParams(min_support=3, max_items=40, window_days=30)),
        (2, "product", SequenceParams(min_support=1, max_items=4, window_days=60)),
        (3, "category", SequenceParams(min_support=5, max_items=3, window_days=10)),
    ],
)
def test_random_stores_equal_the_brute_force(seed: int, level: str, params: SequenceParams) -> None:
    assert _compare(random_store(seed, 300, 25), level, params) > 10


def test_no_pair_with_enough_support_gives_an_empty_frame() -> None:
    pairs = sequence_pairs(random_store(4, 100, 10), AS_OF, SequenceParams(min_support=10_000))
    assert pairs.is_empty()
    assert pairs.columns == sequence_pairs(random_store(4, 100, 10), AS_OF).columns


def test_the_minimum_support_is_inclusive() -> None:
    # 3 customers buy x then y; 2 buy y then z: support 3 keeps (x, y) only
    rows = [(c, 1, "x") for c in range(3)] + [(c, 5, "y") for c in range(3)]
    rows += [(c, 1, "y") for c in (10, 11)] + [(c, 4, "z") for c in (10, 11)]
    purchases = pl.DataFrame(
        rows,
        schema={"customer_id": pl.Int64, "day": pl.Int32, "product_id": pl.String},
        orient="row",
    ).with_columns(category=pl.lit("k"))
    pairs = sequence_pairs(purchases, 100, SequenceParams(min_support=3))
    products = pairs.filter(level="product")
    assert products.select("a", "b", "buyers_after").rows() == [("x", "y", 3)]
    # the same day is no sequence: the category level has one item and no pair
    assert pairs.filter(level="category").is_empty()


def test_large_catalogue_counters_give_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    purchases = random_store(5, 400, 40)
    params = SequenceParams(min_support=2, max_items=6)
    dense = sequence_pairs(purchases, AS_OF, params)
    # sparse counters, the second pass for the lag histograms, and a flush every few keys
    monkeypatch.setattr(sequence_histogram, "DENSE_CELLS", 100)
    monkeypatch.setattr(sequence_histogram, "FLUSH_KEYS", 50)
    sparse = sequence_pairs(purchases, AS_OF, params)
    assert dense.height > 50
    assert sparse.equals(dense)


def test_histogram_quantiles_equal_numpy() -> None:
    rng = np.random.default_rng(0)
    samples = [rng.integers(0, 30, n) for n in (1, 2, 3, 4, 7, 50)]
    cells = 30
    keys, counts = [], []
    for index, sample in enumerate(samples):
        lags, n = np.unique(sample, return_counts=True)
        keys.append(index * cells + lags)
        counts.append(n)
    total = np.array([s.size for s in samples])
    found = histogram_quantiles(
        np.concatenate(keys), np.concatenate(counts), total, cells, (0.25, 0.5, 0.75)
    )
    for q, values in zip((0.25, 0.5, 0.75), found, strict=True):
        assert values == pytest.approx([np.quantile(s, q) for s in samples], rel=1e-12)


def test_later_counts_skip_the_same_day() -> None:
    customer = np.array([1, 1, 1, 1, 2, 2, 3])
    day = np.array([9, 4, 1, 1, 2, 2, 5])  # latest first
    assert later_counts(customer, day).tolist() == [0, 1, 2, 2, 0, 0, 0]


def test_firsts_and_repeats_in_one_pass() -> None:
    purchases = random_store(6, 200, 12)
    firsts, repeats = firsts_and_repeats(purchases, "product", 5)
    assert firsts.equals(first_purchases(purchases, "product", 5))
    # each customer's first day of each item, the 5 latest (ties by item), counted directly
    direct_firsts = (
        purchases.group_by("customer_id", pl.col("product_id").alias("item"))
        .agg(pl.col("day").min(), pl.col("category").first())
        .sort("customer_id", "day", "item", descending=[False, True, False])
        .filter(pl.int_range(pl.len()).over("customer_id") < 5)
        .select("customer_id", "item", "category", "day")
    )
    assert firsts.equals(direct_firsts)
    # the share of buyers who bought on two days or more, counted directly
    days = purchases.group_by("customer_id", "product_id").agg(pl.col("day").n_unique())
    direct = days.group_by(pl.col("product_id").alias("item")).agg(
        (pl.col("day") >= 2).mean().alias("repeat_share")
    )
    assert repeats.sort("item").equals(direct.sort("item"))
