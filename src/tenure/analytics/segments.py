"""RFM scores, named RFM segments and value × loyalty quadrants, as of a scoring run.

Scores 1–5 come from tie-aware quintiles — score = floor(5 · (min-rank − 1) / N) + 1 over the
buyers — so customers with equal values always share a score and a rerun gives the same
answer (shared/ENGINE-NOTES.md). Money is rounded to cents before ranking, for the same
reason. Recency scores 5 for the most recent buyers; frequency counts purchase days; monetary
is revenue to date. Named segments are filter trees over the R and F scores (first match
wins), so they are data like every other segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from tenure.kit.filters import to_polars

# (segment, condition on r_score and f_score); together they cover all 25 cells.
RFM_SEGMENTS: tuple[tuple[str, Mapping[str, Any]], ...] = (
    (
        "champions",
        {
            "all": [
                {"field": "r_score", "op": ">=", "value": 4},
                {"field": "f_score", "op": ">=", "value": 4},
            ]
        },
    ),
    (
        "loyal",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 3},
                {"field": "f_score", "op": ">=", "value": 4},
            ]
        },
    ),
    (
        "potential_loyalists",
        {
            "all": [
                {"field": "r_score", "op": ">=", "value": 4},
                {"field": "f_score", "op": "between", "value": [2, 3]},
            ]
        },
    ),
    (
        "new",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 5},
                {"field": "f_score", "op": "=", "value": 1},
            ]
        },
    ),
    (
        "promising",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 4},
                {"field": "f_score", "op": "=", "value": 1},
            ]
        },
    ),
    (
        "need_attention",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 3},
                {"field": "f_score", "op": "between", "value": [2, 3]},
            ]
        },
    ),
    (
        "about_to_sleep",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 3},
                {"field": "f_score", "op": "=", "value": 1},
            ]
        },
    ),
    (
        "cant_lose",
        {
            "all": [
                {"field": "r_score", "op": "<=", "value": 2},
                {"field": "f_score", "op": "=", "value": 5},
            ]
        },
    ),
    (
        "at_risk",
        {
            "all": [
                {"field": "r_score", "op": "<=", "value": 2},
                {"field": "f_score", "op": "between", "value": [3, 4]},
            ]
        },
    ),
    (
        "hibernating",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 2},
                {"field": "f_score", "op": "<=", "value": 2},
            ]
        },
    ),
    (
        "lost",
        {
            "all": [
                {"field": "r_score", "op": "=", "value": 1},
                {"field": "f_score", "op": "<=", "value": 2},
            ]
        },
    ),
)


def quintile(values: pl.Expr) -> pl.Expr:
    """Score 1–5 by tie-aware quintile: higher values, higher scores; ties share a score."""
    rank = values.rank("min")
    return (((rank - 1) * 5) // pl.len() + 1).cast(pl.Int8)


def rfm(features: pl.DataFrame, value_column: str = "clv") -> pl.DataFrame:
    """Return customer_id, r/f/m scores, the RFM segment and the value × loyalty quadrant.

    Customers without a paid purchase get nulls.
    """
    buyers = features.filter(pl.col("purchase_days") > 0)
    scored = buyers.select(
        "customer_id",
        quintile(-pl.col("days_since_last")).alias("r_score"),
        quintile(pl.col("purchase_days")).alias("f_score"),
        quintile(pl.col("revenue_total").fill_null(0.0).round(2)).alias("m_score"),
        pl.col("purchase_days"),
        pl.col(value_column).fill_null(0.0).round(2).alias("value")
        if value_column in buyers.columns
        else pl.col("revenue_total").fill_null(0.0).round(2).alias("value"),
    )
    segment = pl.lit(None, dtype=pl.String)
    for name, when in reversed(RFM_SEGMENTS):
        segment = pl.when(to_polars(when)).then(pl.lit(name)).otherwise(segment)
    high_value = pl.col("value") > pl.col("value").median()
    loyal = pl.col("purchase_days") > pl.col("purchase_days").median()
    quadrant = (
        pl.when(high_value & loyal)
        .then(pl.lit("high_value_loyal"))
        .when(high_value)
        .then(pl.lit("high_value_occasional"))
        .when(loyal)
        .then(pl.lit("low_value_loyal"))
        .otherwise(pl.lit("low_value_occasional"))
    )
    scored = scored.with_columns(segment.alias("rfm_segment"), quadrant.alias("value_quadrant"))
    return features.select("customer_id").join(
        scored.drop("purchase_days", "value"), on="customer_id", how="left"
    )
