"""The purchase sequences on Apache Spark, from the import files: the same definitions.

The figures of ``tenure.analytics.sequences`` (its docstring defines them) in Spark SQL, over
``orders.parquet`` (one row per order line, the order's columns repeated): paid lines up to the
as-of day, days in the session's (business) time zone, each customer's first day of each item
and their ``max_items`` latest items. The pairs come from a self-join of the first purchases,
which Spark spreads over its executors; the quartiles are Spark's exact ``percentile`` (linear
interpolation, as DuckDB's ``quantile_cont`` and numpy's ``quantile``). Only the pairs (a few
thousand rows) come back to the driver, where z and the p-value are added as in the embedded
run. Customers are keyed by their external id.
"""

# The SQL below is built from fixed column names and integer parameters only: no user text.
# ruff: noqa: S608

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import poisson

from tenure.analytics.features import day_number
from tenure.analytics.sequences import LEVELS, PAIR_SCHEMA, SequenceParams
from tenure.analytics.spark import find_file, spark_day
from tenure.kit.errors import InvalidInput

ITEM_COLUMN = {"product": "product_id", "category": "category"}

_PAIRS_SQL = """
WITH lines AS (
    SELECT CAST(customer_id AS STRING) AS customer_id, {day} AS day, {item} AS item, category
    FROM tenure_orders
    WHERE status = 'paid' AND {item} IS NOT NULL
),
cut AS (SELECT * FROM lines WHERE day <= {as_of}),
ranked AS (
    SELECT customer_id, item, day,
           row_number() OVER (PARTITION BY customer_id ORDER BY day DESC, item) AS latest
    FROM (SELECT customer_id, item, min(day) AS day FROM cut GROUP BY customer_id, item)
),
firsts AS (SELECT customer_id, item, day FROM ranked WHERE latest <= {max_items}),
later AS (  -- n_c: how many of the customer's items came on a later day than this one
    SELECT item, count(*) OVER (PARTITION BY customer_id ORDER BY day
                                RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS n_after
    FROM firsts
),
categories AS (SELECT item, min(category) AS category FROM cut GROUP BY item),
items AS (
    SELECT f.item, c.category, count(*) AS buyers,
           count_if(f.day <= {as_of} - {window}) AS observable
    FROM firsts f JOIN categories c ON c.item = f.item
    GROUP BY f.item, c.category
),
totals AS (
    SELECT count(DISTINCT customer_id) AS customers, count(*) AS purchases FROM firsts
),
pairs AS (
    SELECT a.item AS a, b.item AS b, b.day - a.day AS lag, a.day AS a_day
    FROM firsts a JOIN firsts b ON a.customer_id = b.customer_id AND b.day > a.day
),
counted AS (
    SELECT a, b, count(*) AS buyers_after,
           count_if(lag <= {window} AND a_day <= {as_of} - {window}) AS within,
           percentile(lag, 0.25) AS lag_q1,
           percentile(lag, 0.5) AS lag_median,
           percentile(lag, 0.75) AS lag_q3
    FROM pairs GROUP BY a, b HAVING count(*) >= {min_support}
),
histogram AS (SELECT item AS a, n_after, count(*) AS customers FROM later GROUP BY item, n_after),
expected AS (
    SELECT c.a, c.b,
           sum(h.customers * (1 - pow(1 - ib.buyers / (t.purchases - ia.buyers), h.n_after)))
               AS expected
    FROM counted c
    JOIN histogram h ON h.a = c.a
    JOIN items ia ON ia.item = c.a
    JOIN items ib ON ib.item = c.b
    CROSS JOIN totals t
    GROUP BY c.a, c.b
)
SELECT c.a, c.b, ia.category AS a_category, ib.category AS b_category,
       ia.buyers AS buyers_a, ib.buyers AS buyers_b, c.buyers_after,
       c.buyers_after / ia.buyers AS share,
       CASE WHEN ia.observable > 0 THEN c.within / ia.observable END AS share_within,
       c.lag_q1, c.lag_median, c.lag_q3,
       (c.buyers_after / ia.buyers) / (ib.buyers / t.customers) AS lift,
       e.expected
FROM counted c
JOIN items ia ON ia.item = c.a
JOIN items ib ON ib.item = c.b
JOIN expected e ON e.a = c.a AND e.b = c.b
CROSS JOIN totals t
"""


def spark_sequence_pairs(
    spark: Any,
    folder: Path,
    as_of: date,
    params: SequenceParams | None = None,
    levels: tuple[str, ...] | list[str] = LEVELS,
) -> pl.DataFrame:
    """Return the pairs (PAIR_SCHEMA) of ``levels`` from ``folder``'s orders, as of ``as_of``.

    Sorted as ``sequences.sequence_pairs`` sorts them: by level, then z descending.
    """
    params = params or SequenceParams()
    path = find_file(folder, "orders")
    if path is None:
        raise InvalidInput(f"{folder}: no orders.parquet")
    spark.read.parquet(str(path)).createOrReplaceTempView("tenure_orders")
    frames = []
    for level in levels:
        if level not in LEVELS:
            raise InvalidInput(f"level: must be one of {', '.join(LEVELS)}, not {level!r}")
        sql = _PAIRS_SQL.format(
            day=spark_day("ordered_at"),
            item=ITEM_COLUMN[level],
            as_of=day_number(as_of),
            max_items=int(params.max_items),
            window=int(params.window_days),
            min_support=int(params.min_support),
        )
        frames.append(_with_z(_collect(spark.sql(sql)), level))
    if not frames:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    return pl.concat(frames).sort("level", "z", "a", "b", descending=[False, True, False, False])


def _collect(frame: Any) -> pl.DataFrame:
    """Return a (small) Spark result on the driver."""
    found = pl.from_arrow(frame.toArrow())
    assert isinstance(found, pl.DataFrame)  # noqa: S101  (from_arrow of a table)
    return found


def _with_z(found: pl.DataFrame, level: str) -> pl.DataFrame:
    """Add the level, z and the Poisson p-value, as the embedded run does."""
    if found.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    observed = found["buyers_after"].to_numpy().astype(np.float64)
    expected = np.maximum(found["expected"].to_numpy().astype(np.float64), 1e-12)
    return (
        found.with_columns(
            pl.lit(level).alias("level"),
            pl.Series("z", (observed - expected) / np.sqrt(expected)),
            pl.Series("p_value", poisson.sf(observed - 1, expected)),
        )
        .select(list(PAIR_SCHEMA))
        .cast(PAIR_SCHEMA)  # type: ignore[arg-type]
    )
