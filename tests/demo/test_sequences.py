"""The demo's planted purchase sequences are in the data, in the truth, and found with their lag."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tenure.analytics.sequences import SequenceParams, sequence_pairs
from tenure.demo.config import DemoConfig
from tenure.demo.generate import DemoData, generate
from tenure.demo.sequences import PLANTED

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def shop() -> DemoData:
    return generate(DemoConfig(customers=6000, seed=11, end=END))


def _purchases(shop: DemoData) -> pl.DataFrame:
    orders = shop.tables["orders"].filter(pl.col("status") == "paid")
    return (
        shop.tables["order_lines"]
        .join(
            orders.select(
                pl.col("id").alias("order_id"),
                "customer_id",
                pl.col("ordered_at").dt.date().cast(pl.Int32).alias("day"),
            ),
            on="order_id",
        )
        .select("customer_id", "day", "product_id", "category")
    )


def test_the_truth_names_every_planted_sequence(shop: DemoData) -> None:
    planted = shop.parameters["sequences"]
    assert [(p["level"], p["a"], p["b"]) for p in planted] == [(p.level, p.a, p.b) for p in PLANTED]
    assert all(p["customers"] > 0 for p in planted)


def test_each_planted_sequence_is_the_strongest_of_its_level_with_its_lag(shop: DemoData) -> None:
    as_of = (END - date(1970, 1, 1)).days
    pairs = sequence_pairs(_purchases(shop), as_of, SequenceParams(min_support=10))
    for p in PLANTED:
        level = pairs.filter(pl.col("level") == p.level).sort("z", descending=True)
        top = level.row(0, named=True)
        assert (top["a"], top["b"]) == (p.a, p.b)
        assert abs(top["lag_median"] - p.lag_days) <= 5, top
