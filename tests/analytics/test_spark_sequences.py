"""The sequences on Spark equal the embedded run's, from the same order lines as import files.

Runs PySpark in local mode (Java 17). Lines that are not paid, lines after the as-of day, and
a customer over the basket cap are in the files and must be left out as the store leaves them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tenure.analytics.features import day_number
from tenure.analytics.sequences import SequenceParams, sequence_pairs
from tests.analytics.test_sequence_histogram import random_store

pytest.importorskip("pyspark")

AS_OF = date(2024, 10, 1)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from tenure.analytics.spark import session

    started = session("UTC", "tenure-sequence-tests")
    yield started
    started.stop()


def _store() -> pl.DataFrame:
    """Paid lines around the as-of day, shifted onto real dates."""
    lines = random_store(11, 400, 15, span=150)
    shift = day_number(AS_OF) - 20_000 + 5  # a few lines fall after the as-of day
    return lines.with_columns(pl.col("day") + shift)


def _files(lines: pl.DataFrame, folder: Path) -> Path:
    """Write ``lines`` as an import file of orders (one row per line; refunds mixed in)."""
    epoch = datetime(1970, 1, 1, 12, tzinfo=UTC)
    refunded = lines.head(300).with_columns(status=pl.lit("refunded"), product_id=pl.lit("P000"))
    rows = pl.concat([lines.with_columns(status=pl.lit("paid")), refunded])
    orders = rows.with_row_index("order").select(
        pl.format("O{}", "order").alias("order_id"),
        pl.format("C{}", "customer_id").alias("customer_id"),
        pl.col("day")
        .map_elements(lambda d: epoch + timedelta(days=d), pl.Datetime("us", "UTC"))
        .alias("ordered_at"),
        "status",
        pl.lit(10.0).alias("amount"),
        "product_id",
        "category",
    )
    orders.write_parquet(folder / "orders.parquet")
    return folder


def test_spark_finds_the_pairs_the_embedded_run_finds(spark: Any, tmp_path: Path) -> None:
    from tenure.analytics.spark_sequences import spark_sequence_pairs

    lines = _store()
    params = SequenceParams(min_support=4, max_items=6, window_days=30)
    embedded = sequence_pairs(
        lines.filter(pl.col("day") <= day_number(AS_OF)), day_number(AS_OF), params
    )
    on_spark = spark_sequence_pairs(spark, _files(lines, tmp_path), AS_OF, params)
    assert embedded.height > 50
    assert on_spark.height == embedded.height
    assert set(on_spark["level"]) == {"product", "category"}
    key = ["level", "a", "b"]
    left, right = embedded.sort(key), on_spark.sort(key)
    for name in embedded.columns:
        if left[name].dtype.is_float():
            assert left[name].is_null().to_list() == right[name].is_null().to_list(), name
            difference = (left[name] - right[name]).abs().fill_null(0.0)
            assert (difference <= 1e-9 * left[name].abs().fill_null(1.0).clip(1.0)).all(), name
        else:
            assert left[name].to_list() == right[name].to_list(), name
