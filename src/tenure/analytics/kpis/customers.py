"""Headline figures of the customer base as of a day (formulas in docs/metrics.md)."""

from __future__ import annotations

from typing import Any

import polars as pl

from tenure.analytics.kpis.spells import active_on

SECOND_PURCHASE_DAYS = 90  # first → second purchase conversion looks this far after the first


def _share(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def window_figures(
    paid: pl.DataFrame, firsts: pl.DataFrame, spell_frame: pl.DataFrame, first: int, last: int
) -> dict[str, Any]:
    """Count new customers, revenue, orders, buyers, AOV, lapses, win-backs in [first, last]."""
    inside = paid.filter(pl.col("day").is_between(first, last))
    revenue, orders = float(inside["amount"].sum()), inside.height
    return {
        "new_customers": firsts.filter(pl.col("first_day").is_between(first, last)).height,
        "revenue": round(revenue, 2),
        "orders": orders,
        "buyers": inside["customer_id"].n_unique(),
        "aov": round(revenue / orders, 2) if orders else None,
        "lapsed": spell_frame.filter(pl.col("end").is_between(first, last)).height,
        "won_back": spell_frame.filter(
            (pl.col("spell") > 1) & pl.col("start").is_between(first, last)
        ).height,
        "active": active_on(spell_frame, last),
    }


def base_figures(
    customers: pl.DataFrame,
    paid: pl.DataFrame,
    days: pl.DataFrame,
    firsts: pl.DataFrame,
    spell_frame: pl.DataFrame,
    d: int,
) -> dict[str, Any]:
    """Conversion, repurchase, frequency, win-back and concentration as of day ``d``."""
    buyers = firsts.height
    per_customer = days.group_by("customer_id").agg(pl.len().alias("days"))
    repeaters = per_customer.filter(pl.col("days") >= 2).height
    # first → second purchase within 90 days, among buyers whose first was 90+ days ago
    ready = firsts.filter(pl.col("first_day") <= d - SECOND_PURCHASE_DAYS)
    seconds = (
        days.join(ready, on="customer_id")
        .filter(
            (pl.col("day") > pl.col("first_day"))
            & (pl.col("day") <= pl.col("first_day") + SECOND_PURCHASE_DAYS)
        )
        .select("customer_id")
        .unique()
        .height
    )
    leads = customers.height
    converted = customers.join(firsts, on="customer_id")
    to_convert = converted.select(pl.col("first_day") - pl.col("acquired_day")).to_series()
    year = paid.filter(pl.col("day") > d - 365)
    revenue_by_customer = (
        paid.group_by("customer_id").agg(pl.col("amount").sum()).sort("amount", descending=True)
    )
    top = max(1, round(revenue_by_customer.height * 0.2)) if revenue_by_customer.height else 0
    total_revenue = float(revenue_by_customer["amount"].sum())
    active = active_on(spell_frame, d)
    # win-back: won back in the last 90 days / churned customers 90 days ago
    churned_then = firsts.filter(pl.col("first_day") <= d - 90).height - active_on(
        spell_frame, d - 90
    )
    won_back_90 = spell_frame.filter(
        (pl.col("spell") > 1) & pl.col("start").is_between(d - 89, d)
    ).height
    return {
        "customers": leads,
        "buyers": buyers,
        "active_customers": active,
        "churned_customers": buyers - active,
        "lead_conversion_rate": _share(buyers, leads),
        "median_days_to_convert": None if to_convert.is_empty() else float(to_convert.median()),  # type: ignore[arg-type]
        "second_purchase_rate_90d": _share(seconds, ready.height),
        "repurchase_rate": _share(repeaters, buyers),
        "aov_365": round(float(year["amount"].sum()) / year.height, 2) if year.height else None,
        "frequency_365": _share(year.height, year["customer_id"].n_unique()),
        "won_back_90": won_back_90,
        "win_back_rate_90": _share(won_back_90, churned_then),
        "top20_revenue_share": _share(
            float(revenue_by_customer["amount"].head(top).sum()), total_revenue
        ),
    }
