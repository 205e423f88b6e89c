"""Month by month: new and active customers, lapses, win-backs, retention, revenue and orders.

For a month m (first day s, last day e):
    active_start      customers active on s − 1;  active_end: active on e
    new_customers     first paid purchase in m
    lapsed            spells whose end (first inactive day) falls in m: churned in m
    won_back          second or later spells starting in m
    churn_rate        lapsed / active_start;  retention_rate = 1 − churn_rate
    revenue, orders   paid, in m;  buyers: distinct customers with a paid order in m
    aov               revenue / orders;  frequency = orders / buyers
    returning_share   buyers in m who had bought before m / buyers
    leads             customers acquired in m;  leads_converted: of those, bought by as-of
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from tenure.analytics.features import day_number
from tenure.analytics.kpis.calendar import index_label, month_index, months
from tenure.analytics.kpis.spells import active_on


def _ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def monthly(
    frames: dict[str, pl.DataFrame],
    spell_frame: pl.DataFrame,
    firsts: pl.DataFrame,
    active: pl.DataFrame,
    as_of: date,
) -> list[dict[str, Any]]:
    """Return one row of figures per calendar month up to the as-of month.

    ``active`` is ``cohorts.customer_months``: who bought in which month, and their cohort.
    """
    paid = frames["orders"].filter(pl.col("status") == "paid")
    if paid.height == 0:
        return []
    # orders summed per day first: the month of a day is computed a thousand times, not ten
    # million
    sales = (
        paid.group_by("day")
        .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("orders"))
        .group_by(month_index(pl.col("day")).alias("m"))
        .agg(pl.col("revenue").sum(), pl.col("orders").sum())
    )
    buyers = active.group_by("m").agg(
        pl.len().alias("buyers"), (pl.col("k") > 0).sum().alias("returning")
    )
    new = firsts.group_by(month_index(pl.col("first_day")).alias("m")).agg(
        pl.len().alias("new_customers")
    )
    lapsed = (
        spell_frame.filter(pl.col("end") <= day_number(as_of))
        .group_by(month_index(pl.col("end")).alias("m"))
        .agg(pl.len().alias("lapsed"))
    )
    won_back = (
        spell_frame.filter(pl.col("spell") > 1)
        .group_by(month_index(pl.col("start")).alias("m"))
        .agg(pl.len().alias("won_back"))
    )
    leads = (
        frames["customers"]
        .join(firsts, on="customer_id", how="left")
        .group_by(month_index(pl.col("acquired_day")).alias("m"))
        .agg(pl.len().alias("leads"), pl.col("first_day").is_not_null().sum().alias("converted"))
    )
    by_month: dict[str, dict[str, Any]] = {}
    for frame in (sales, buyers, new, lapsed, won_back, leads):
        for row in frame.iter_rows(named=True):
            by_month.setdefault(index_label(row.pop("m")), {}).update(row)
    out = []
    for month in months(int(paid["day"].min()), as_of):  # type: ignore[arg-type]
        got = by_month.get(month.label, {})
        start, end = active_on(spell_frame, month.first - 1), active_on(spell_frame, month.last)
        lapses = got.get("lapsed", 0) if month.last >= month.first else 0
        revenue, orders, buyers = (
            got.get("revenue", 0.0),
            got.get("orders", 0),
            got.get("buyers", 0),
        )
        out.append(
            {
                "month": month.label,
                "complete": month.complete,
                "new_customers": got.get("new_customers", 0),
                "active_start": start,
                "active_end": end,
                "lapsed": lapses,
                "won_back": got.get("won_back", 0),
                "churn_rate": _ratio(lapses, start),
                "retention_rate": None if not start else round(1 - lapses / start, 4),
                "revenue": round(revenue, 2),
                "orders": orders,
                "buyers": buyers,
                "aov": _ratio(revenue, orders, 2),
                "frequency": _ratio(orders, buyers, 3),
                "returning_share": _ratio(got.get("returning", 0), buyers),
                "leads": got.get("leads", 0),
                "leads_converted": got.get("converted", 0),
            }
        )
    return out
