"""The feature definitions on Apache Spark (PySpark, local or a cluster), over Parquet files.

The same Ibis expressions as the embedded engine (``tenure.analytics.features``) run on Spark;
only the input differs. Spark reads the import files (``tenure export``, ``tenure demo --out
DIR --format parquet``): ``customers``, ``orders`` (one row per order line, the order's columns
repeated), ``events``, and if present ``surveys`` and ``subscriptions``, keyed by the
customer's external id. Timestamps become day numbers in the business time zone (Spark's
session time zone), as the store's snapshot does.

PySpark is optional (``pip install 'tenure[spark]'``); it needs Java 17.
"""

# The SQL below is built from fixed column names and integer day numbers only: no user text.
# ruff: noqa: S608

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tenure.analytics.features import FeatureParams, day_number, feature_table
from tenure.kit.errors import ConfigurationError, InvalidInput

FILES = ("customers", "orders", "events", "surveys", "subscriptions")
REQUIRED = ("customers", "orders")


def session(timezone: str, app_name: str = "tenure") -> Any:
    """Start (or reuse) a local Spark session bound to loopback, in the business time zone.

    Bound to 127.0.0.1 on purpose: otherwise the driver advertises the machine's address and,
    on a machine without a route to it, hangs retrying (shared/ENGINE-NOTES.md).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigurationError(
            "the spark engine needs PySpark: pip install 'tenure[spark]' (and Java 17)"
        ) from exc
    spark = (
        SparkSession.builder.appName(app_name)
        .master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", timezone)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def find_file(folder: Path, name: str) -> Path | None:
    """Return the file (or folder of parts) ``name`` among the import files, if present."""
    for candidate in (folder / f"{name}.parquet", folder / name):
        if candidate.exists():
            return candidate
    return None


def spark_day(column: str) -> str:
    """Return SQL for a timestamp's day number in the session (business) time zone."""
    return f"datediff(to_date({column}), date'1970-01-01')"


def _prepare(spark: Any, folder: Path, as_of: date) -> dict[str, Any]:
    """Read the files and shape them as the feature definitions expect, cut at ``as_of``."""
    paths = {name: find_file(folder, name) for name in FILES}
    missing = [name for name in REQUIRED if paths[name] is None]
    if missing:
        raise InvalidInput(
            f"{folder}: no {' or '.join(f'{m}.parquet' for m in missing)}; the spark engine "
            "reads the import files that `tenure export` or `tenure demo --out` write"
        )
    d = day_number(as_of)
    views: dict[str, Any] = {}
    for name, path in paths.items():
        if path is not None:
            spark.read.parquet(str(path)).createOrReplaceTempView(f"raw_{name}")
    known = (
        "coalesce(acquired_at, created_at)"
        if _has(spark, "customers", "created_at")
        else ("acquired_at")
    )
    views["customers"] = spark.sql(
        f"SELECT customer_id, {spark_day(known)} AS acquired_day, acquisition_channel, "
        f"CAST(email_consent AS BOOLEAN) AS email_consent, company_size FROM raw_customers"
    ).where(f"acquired_day <= {d}")
    views["orders"] = (
        spark.sql(
            f"SELECT DISTINCT order_id, customer_id, {spark_day('ordered_at')} AS day, status, "
            "CAST(amount AS DOUBLE) AS amount FROM raw_orders"
        )
        .where(f"day <= {d}")
        .drop("order_id")
    )
    empty = {
        "events": "SELECT CAST(NULL AS STRING) customer_id, CAST(NULL AS INT) day, "
        "CAST(NULL AS STRING) type WHERE false",
        "surveys": "SELECT CAST(NULL AS STRING) customer_id, CAST(NULL AS INT) day, "
        "CAST(NULL AS BIGINT) score WHERE false",
        "subscriptions": "SELECT CAST(NULL AS STRING) customer_id, CAST(NULL AS INT) "
        "started_day, CAST(NULL AS INT) cancelled_day WHERE false",
    }
    first_event = d - 89  # the features look at the last 90 days of events
    views["events"] = (
        spark.sql(
            f"SELECT customer_id, {spark_day('occurred_at')} AS day, type FROM raw_events"
        ).where(f"day BETWEEN {first_event} AND {d}")
        if paths["events"]
        else spark.sql(empty["events"])
    )
    views["surveys"] = (
        spark.sql(
            f"SELECT customer_id, {spark_day('answered_at')} AS day, "
            "CAST(score AS BIGINT) AS score FROM raw_surveys"
        ).where(f"day <= {d}")
        if paths["surveys"]
        else spark.sql(empty["surveys"])
    )
    views["subscriptions"] = (
        spark.sql(
            f"SELECT customer_id, {spark_day('started_at')} AS started_day, "
            f"CASE WHEN {spark_day('cancelled_at')} <= {d} THEN {spark_day('cancelled_at')} END "
            "AS cancelled_day FROM raw_subscriptions"
        ).where(f"started_day <= {d}")
        if paths["subscriptions"]
        else spark.sql(empty["subscriptions"])
    )
    return views


def _has(spark: Any, name: str, column: str) -> bool:
    return column in spark.table(f"raw_{name}").columns


def spark_features(
    spark: Any, folder: Path, as_of: date, params: FeatureParams | None = None
) -> pl.DataFrame:
    """Compute the per-customer features on Spark; one row per customer (external id)."""
    import ibis

    con = ibis.pyspark.connect(spark)
    tables = {}
    for name, frame in _prepare(spark, folder, as_of).items():
        frame.createOrReplaceTempView(f"tenure_{name}")
        tables[name] = con.table(f"tenure_{name}")
    expr = feature_table(tables, as_of, params or FeatureParams())
    result = pl.from_arrow(con.to_pyarrow(expr))
    assert isinstance(result, pl.DataFrame)  # noqa: S101  (from_arrow of a table)
    return result.sort("customer_id")


def default_as_of(spark: Any, folder: Path) -> date:
    """Return the day of the latest order in the files (the default as-of for files)."""
    path = find_file(folder, "orders")
    if path is None:
        raise InvalidInput(f"{folder}: no orders.parquet")
    spark.read.parquet(str(path)).createOrReplaceTempView("raw_orders_latest")
    day = spark.sql("SELECT max(to_date(ordered_at)) FROM raw_orders_latest").first()[0]
    return day if isinstance(day, date) else date.today()
