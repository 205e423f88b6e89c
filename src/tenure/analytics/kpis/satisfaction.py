"""NPS, complaints and cross-selling.

NPS: each customer's latest answer of the last 365 days; % promoters (9–10) − % detractors
(0–6), from −100 to 100 — overall, by lifecycle stage and by RFM segment.
Complaint rate: active customers who complained in the last 90 days / active customers.
Cross-sell rate: repeat buyers (2+ paid orders) who bought from 2+ categories / repeat buyers.
"""

from __future__ import annotations

from typing import Any

import polars as pl


def _nps(scores: pl.Series) -> dict[str, Any]:
    n = scores.len()
    if n == 0:
        return {"nps": None, "responses": 0}
    promoters = int((scores >= 9).sum())
    detractors = int((scores <= 6).sum())
    return {"nps": round(100 * (promoters - detractors) / n, 1), "responses": n}


def nps(surveys: pl.DataFrame, d: int, groups: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """NPS overall and by each grouping in ``groups`` (name → customer_id, key)."""
    latest = (
        surveys.filter(pl.col("day") > d - 365)
        .sort("customer_id", "day")
        .group_by("customer_id")
        .agg(pl.col("score").last())
    )
    out: dict[str, Any] = {"overall": _nps(latest["score"])}
    for name, frame in groups.items():
        key = frame.columns[1]
        joined = latest.join(frame, on="customer_id")
        out[name] = {
            str(group): _nps(part["score"])
            for (group,), part in sorted(
                joined.partition_by(key, as_dict=True).items(), key=lambda kv: str(kv[0][0])
            )
        }
    return out


def complaint_rate(events: pl.DataFrame, active_ids: pl.Series, d: int) -> float | None:
    """Share of active customers with a complaint in the last 90 days."""
    if active_ids.len() == 0:
        return None
    complained = (
        events.filter((pl.col("type") == "complaint") & (pl.col("day") > d - 90))
        .select("customer_id")
        .unique()
        .filter(pl.col("customer_id").is_in(active_ids.implode()))
        .height
    )
    return round(complained / active_ids.len(), 4)


def cross_sell_rate(categories: pl.DataFrame, paid: pl.DataFrame) -> float | None:
    """Share of repeat buyers who bought from two or more categories (None without lines)."""
    if categories.height == 0:
        return None
    repeaters = (
        paid.group_by("customer_id").agg(pl.len().alias("orders")).filter(pl.col("orders") >= 2)
    )
    joined = repeaters.join(categories, on="customer_id", how="left")
    if joined.height == 0:
        return None
    return round(int((joined["categories"].fill_null(0) >= 2).sum()) / joined.height, 4)
