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
    revenue: pl.DataFrame,
    firsts: pl.DataFrame,
    spell_frame: pl.DataFrame,
    d: int,
) -> dict[str, Any]:
    """Conversion, repurchase, frequency, win-back and concentration as of day ``d``.

    ``revenue`` is each buyer's paid revenue (customer_id, revenue); ``firsts`` their first and
    second purchase days (``spells.firsts_of``).
    """
    buyers = firsts.height
    repeaters = int(firsts["second_day"].is_not_null().sum())
    # first → second purchase within 90 days, among buyers whose first was 90+ days ago
    ready = firsts.filter(pl.col("first_day") <= d - SECOND_PURCHASE_DAYS)
    seconds = ready.filter(
        pl.col("second_day") <= pl.col("first_day") + SECOND_PURCHASE_DAYS
    ).height
    leads = customers.height
    converted = customers.join(firsts, on="customer_id")
    days = converted.select(pl.col("first_day") - pl.col("acquired_day")).to_series()
    # a first order before the acquisition day (customers imported with a later day) says
    # nothing of how long converting took: left out of the median, counted on their own
    to_convert = days.filter(days >= 0)
    year = paid.filter(pl.col("day") > d - 365)
    by_customer = revenue["revenue"]
    top = max(1, round(by_customer.len() * 0.2)) if by_customer.len() else 0
    total_revenue = float(by_customer.sum())
    active = active_on(spell_frame, d)
    # win-back: won back in the last 90 days / lapsed customers 90 days ago
    lapsed_then = firsts.filter(pl.col("first_day") <= d - 90).height - active_on(
        spell_frame, d - 90
    )
    won_back_90 = spell_frame.filter(
        (pl.col("spell") > 1) & pl.col("start").is_between(d - 89, d)
    ).height
    return {
        "customers": leads,
        "buyers": buyers,
        "active_customers": active,
        # buyers without a paid order in the last churn_after days; not the stage "churned",
        # which follows the stage rules (P(alive), contracts, …): the two counts differ
        "lapsed_customers": buyers - active,
        "lead_conversion_rate": _share(buyers, leads),
        "median_days_to_convert": None if to_convert.is_empty() else float(to_convert.median()),  # type: ignore[arg-type]
        "bought_before_acquired": int((days < 0).sum()),
        "second_purchase_rate_90d": _share(seconds, ready.height),
        "repurchase_rate": _share(repeaters, buyers),
        "aov_365": round(float(year["amount"].sum()) / year.height, 2) if year.height else None,
        "frequency_365": _share(year.height, year["customer_id"].n_unique()),
        "won_back_90": won_back_90,
        "win_back_rate_90": _share(won_back_90, lapsed_then),
        "top20_revenue_share": _share(
            float(by_customer.top_k(top).sum()) if top else 0.0, total_revenue
        ),
    }
