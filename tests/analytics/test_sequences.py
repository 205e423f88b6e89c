"""Purchase sequences against a brute-force pandas computation on simulated baskets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.stats import poisson

from tenure.analytics.sequences import SequenceParams, first_purchases, sequence_pairs

AS_OF = 20_000
CATEGORIES = {f"P{i}": f"c{i % 4}" for i in range(12)}
# popularity: P0 is bought by nearly everyone, the others less and less
WEIGHTS = np.array([0.3, 0.12, 0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.04, 0.03, 0.02])


def simulate(seed: int = 3, customers: int = 3000) -> tuple[pl.DataFrame, set[int]]:
    """Random baskets, plus a planted sequence: 40% of P3 buyers buy P9 30–60 days later."""
    rng = np.random.default_rng(seed)
    rows, planted = [], set()
    products = list(CATEGORIES)
    for c in range(customers):
        n = 1 + rng.poisson(2.5)
        days = np.sort(rng.integers(AS_OF - 700, AS_OF - 60, n))
        for day in days:
            for _ in range(1 + rng.poisson(0.5)):
                rows.append((c, int(day), products[rng.choice(12, p=WEIGHTS)]))
        bought_p3 = [d for d, p in ((r[1], r[2]) for r in rows if r[0] == c) if p == "P3"]
        if bought_p3 and rng.random() < 0.4:
            rows.append((c, min(bought_p3) + int(rng.integers(30, 61)), "P9"))
            planted.add(c)
    frame = pl.DataFrame(
        rows,
        schema={"customer_id": pl.Int64, "day": pl.Int32, "product_id": pl.String},
        orient="row",
    )
    return frame.with_columns(
        pl.col("product_id").replace_strict(CATEGORIES).alias("category")
    ), planted


def brute_force(
    purchases: pd.DataFrame, item: str, as_of: int, params: SequenceParams
) -> pd.DataFrame:
    """The statistics of every pair, customer by customer, in plain pandas and Python."""
    firsts = purchases.groupby(["customer_id", item], as_index=False)["day"].min()
    firsts = firsts.sort_values(["customer_id", "day", item], ascending=[True, False, True])
    firsts = firsts.groupby("customer_id").head(params.max_items)
    per_customer = {
        c: dict(zip(g[item], g["day"], strict=True)) for c, g in firsts.groupby("customer_id")
    }
    buyers = firsts[item].value_counts()
    total_purchases, customers = len(firsts), firsts["customer_id"].nunique()
    rows = []
    for a in buyers.index:
        a_buyers = {c: items for c, items in per_customer.items() if a in items}
        later = {c: sum(d > items[a] for d in items.values()) for c, items in a_buyers.items()}
        observable = sum(items[a] <= as_of - params.window_days for items in a_buyers.values())
        for b in buyers.index:
            if a == b:
                continue
            lags = [
                items[b] - items[a]
                for items in a_buyers.values()
                if b in items and items[b] > items[a]
            ]
            if len(lags) < params.min_support:
                continue
            within = sum(
                1
                for items in a_buyers.values()
                if b in items
                and 0 < items[b] - items[a] <= params.window_days
                and items[a] <= as_of - params.window_days
            )
            p_b = buyers[b] / (total_purchases - buyers[a])
            expected = sum(1 - (1 - p_b) ** n for n in later.values())
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "buyers_a": buyers[a],
                    "buyers_b": buyers[b],
                    "buyers_after": len(lags),
                    "share": len(lags) / buyers[a],
                    "share_within": within / observable if observable else None,
                    "lag_q1": np.quantile(lags, 0.25),
                    "lag_median": np.median(lags),
                    "lag_q3": np.quantile(lags, 0.75),
                    "lift": (len(lags) / buyers[a]) / (buyers[b] / customers),
                    "expected": expected,
                    "z": (len(lags) - expected) / np.sqrt(expected),
                    "p_value": poisson.sf(len(lags) - 1, expected),
                }
            )
    return pd.DataFrame(rows).sort_values(["a", "b"]).reset_index(drop=True)


@pytest.mark.parametrize(
    ("level", "item", "params"),
    [
        ("product", "product_id", SequenceParams(min_support=15)),
        ("category", "category", SequenceParams(min_support=15, window_days=120)),
        ("product", "product_id", SequenceParams(min_support=5, max_items=3)),  # baskets capped
    ],
)
def test_pairs_equal_an_independent_computation(
    level: str, item: str, params: SequenceParams
) -> None:
    purchases, _ = simulate(customers=1500)
    pairs = sequence_pairs(purchases, AS_OF, params).filter(pl.col("level") == level)
    ours = pairs.sort("a", "b").drop("level", "a_category", "b_category").to_pandas()
    theirs = brute_force(purchases.to_pandas(), item, AS_OF, params)
    assert len(ours) == len(theirs) > 10
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9)


def test_the_planted_sequence_ranks_first_and_popular_items_do_not() -> None:
    purchases, planted = simulate()
    pairs = sequence_pairs(purchases, AS_OF, SequenceParams(min_support=20))
    products = pairs.filter(pl.col("level") == "product")
    top = products.row(0, named=True)
    assert (top["a"], top["b"]) == ("P3", "P9")
    assert top["buyers_after"] >= len(planted)  # the planted buyers, and a few by chance
    assert 38 <= top["lag_median"] <= 53  # planted 30–60 days; chance pairs stretch it a little
    assert top["p_value"] < 1e-12
    # after the planted pair, the most popular product leads by count, but only by chance
    by_count = products.sort("buyers_after", descending=True).row(1, named=True)
    assert "P0" in (by_count["a"], by_count["b"])
    assert abs(by_count["z"]) < 4
    # the reverse direction is no sequence
    reverse = products.filter((pl.col("a") == "P9") & (pl.col("b") == "P3"))
    assert reverse.is_empty() or reverse["z"][0] < 3


def test_first_purchases_keep_the_latest_items_and_reject_unknown_levels() -> None:
    purchases = pl.DataFrame(
        {
            "customer_id": [1, 1, 1, 1],
            "day": [10, 12, 11, 30],
            "product_id": ["x", "y", "x", "z"],
            "category": ["k", "k", "k", "m"],
        },
        schema={
            "customer_id": pl.Int64,
            "day": pl.Int32,
            "product_id": pl.String,
            "category": pl.String,
        },
    )
    kept = first_purchases(purchases, "product", max_items=2)
    assert kept.select("item", "day").rows() == [("z", 30), ("y", 12)]
    with pytest.raises(ValueError, match="level must be one of"):
        first_purchases(purchases, "brand", max_items=2)


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="category"):
        sequence_pairs(pl.DataFrame({"customer_id": [1], "day": [1], "product_id": ["x"]}), AS_OF)
