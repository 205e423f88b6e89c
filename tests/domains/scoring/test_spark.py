"""The Spark engine: the same features as DuckDB, and the same stages as the embedded run.

Runs PySpark in local mode (Java 17). The demo company is loaded into a SQLite store for the
embedded run and written as Parquet import files for Spark: two independent paths from one
truth to the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Connection, text

from tenure.analytics.features import compute_features, cut_frames, day_number
from tenure.demo.config import DemoConfig
from tenure.demo.files import write_files
from tenure.demo.generate import DemoData, generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.run import run_scoring
from tenure.domains.scoring.snapshot import take_snapshot
from tenure.kit.settings import Settings

pytest.importorskip("pyspark")

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def company() -> DemoData:
    return generate(DemoConfig(customers=700, seed=3, end=END))


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from tenure.analytics.spark import session

    started = session("UTC", "tenure-tests")
    yield started
    started.stop()


@pytest.fixture(scope="module")
def files(company: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("import-files")
    write_files(company, folder, "parquet")
    return folder


def _external_ids(conn: Connection) -> pl.DataFrame:
    rows = conn.execute(text("SELECT id, external_id FROM customers")).all()
    return pl.DataFrame(rows, schema=["id", "customer_id"], orient="row")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_spark_computes_the_features_duckdb_does(
    conn: Connection, company: DemoData, files: Path, spark: Any
) -> None:
    from tenure.analytics.spark import spark_features

    load_into_store(conn, company, datetime(2026, 7, 1, tzinfo=UTC))
    frames = take_snapshot(conn, END, "UTC")
    duck = compute_features(cut_frames(frames, day_number(END)), END)
    on_spark = (
        spark_features(spark, files, END)
        .join(_external_ids(conn), on="customer_id")
        .drop("customer_id")
        .rename({"id": "customer_id"})
        .select(duck.columns)
        .sort("customer_id")
    )
    assert on_spark.height == duck.height == 700
    assert on_spark.schema == duck.schema
    for name in duck.columns:
        left, right = duck[name], on_spark[name]
        assert left.is_null().to_list() == right.is_null().to_list(), name
        if left.dtype.is_float():
            # sums may differ in the last bit between engines (summation order)
            assert (
                (left - right).abs().fill_null(0.0) <= 1e-9 * left.abs().fill_null(1.0).clip(1.0)
            ).all(), name
        else:
            assert left.to_list() == right.to_list(), name


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_spark_run_writes_the_stages_the_embedded_run_finds(
    conn: Connection, company: DemoData, files: Path, spark: Any, tmp_path: Path
) -> None:
    from tenure.domains.scoring.spark_run import run_on_spark

    load_into_store(conn, company, datetime(2026, 7, 1, tzinfo=UTC))
    settings = Settings()
    embedded = run_scoring(conn, END, settings)
    record = run_on_spark(files, tmp_path / "out", END, settings)
    assert record["stages"] == embedded.stages
    assert json.loads((tmp_path / "out" / "run.json").read_text())["as_of"] == "2026-06-30"
    stages = pl.read_parquet(tmp_path / "out" / "stages.parquet")
    in_store = pl.DataFrame(
        conn.execute(
            text(
                "SELECT c.external_id, s.stage, s.rule FROM customer_stages s "
                "JOIN customers c ON c.id = s.customer_id"
            )
        ).all(),
        schema=["customer_id", "stage", "rule"],
        orient="row",
    )
    assert (
        stages.select("customer_id", "stage", "rule")
        .sort("customer_id")
        .equals(in_store.sort("customer_id"))
    )
    scores = pl.read_parquet(tmp_path / "out" / "scores.parquet")
    assert {"clv", "p_alive", "health_score", "lead_score"} <= set(scores.columns)
    # the cross-sell sequences: the pairs the embedded run stored, figure for figure
    pairs = pl.read_parquet(tmp_path / "out" / "sequence_pairs.parquet")
    stored = pl.DataFrame(
        conn.execute(
            text(
                "SELECT level, a, b, buyers_after, lag_median FROM sequence_pairs "
                "WHERE run_id = (SELECT max(run_id) FROM sequence_pairs)"
            )
        ).all(),
        schema=["level", "a", "b", "buyers_after", "lag_median"],
        orient="row",
    )
    assert stored.height > 0
    key = ["level", "a", "b"]
    assert pairs.select(stored.columns).sort(key).equals(stored.sort(key), null_equal=True)
    assert record["sequence_pairs"] == {
        level: stored.filter(level=level).height for level in ("product", "category")
    }
    segments = pl.read_parquet(tmp_path / "out" / "segments.parquet")
    assert segments.filter(pl.col("rfm_segment").is_not_null()).height == (
        700 - embedded.stages.get("potential", 0)
    )
