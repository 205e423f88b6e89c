"""The KPIs of a scoring run: every formula is in docs/metrics.md.

``compute_kpis`` takes the run's snapshot (day numbers, cut at the as-of day) and what the run
found (stages, segments, value) and returns plain data: headline figures for the last 30 days
against the 30 before, base figures as of the day, the monthly series, the cohort matrix,
channels, NPS and the value of the base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from tenure.analytics.features import day_number
from tenure.analytics.kpis.channels import channels
from tenure.analytics.kpis.cohorts import cohort_matrix, customer_months
from tenure.analytics.kpis.customers import base_figures, window_figures
from tenure.analytics.kpis.monthly import monthly
from tenure.analytics.kpis.satisfaction import complaint_rate, cross_sell_rate, nps
from tenure.analytics.kpis.spells import active_ids, firsts_of, purchase_days, spells

WINDOW_DAYS = 30


@dataclass(frozen=True)
class KpiInputs:
    """What the KPIs read besides the snapshot: the run's own results and two extra tables."""

    spend: pl.DataFrame  # channel, start_day, end_day, amount (cut at the as-of day)
    categories: pl.DataFrame  # customer_id, categories (distinct categories bought)
    stages: pl.DataFrame  # customer_id, stage
    segments: pl.DataFrame  # customer_id, rfm_segment
    value: pl.DataFrame  # customer_id, clv
    churn_after_days: int = 180
    margin: float = 0.3


def compute_kpis(frames: dict[str, pl.DataFrame], as_of: date, inputs: KpiInputs) -> dict[str, Any]:
    """Return every KPI of the store as of ``as_of``."""
    d = day_number(as_of)
    paid = frames["orders"].filter(pl.col("status") == "paid")
    days = purchase_days(frames["orders"])
    firsts = firsts_of(days)
    spell_frame = spells(days, inputs.churn_after_days)
    revenue = paid.group_by("customer_id").agg(pl.col("amount").sum().alias("revenue"))
    current = window_figures(paid, firsts, spell_frame, d - WINDOW_DAYS + 1, d)
    previous = window_figures(paid, firsts, spell_frame, d - 2 * WINDOW_DAYS + 1, d - WINDOW_DAYS)
    base = base_figures(frames["customers"], paid, revenue, firsts, spell_frame, d)
    active = active_ids(spell_frame, d)
    months_bought = customer_months(days, firsts)
    clv = inputs.value["clv"].drop_nulls()
    paid_total = float(revenue["revenue"].sum())
    paid_mean = paid_total / revenue.height if revenue.height else None
    return {
        "as_of": as_of.isoformat(),
        "churn_after_days": inputs.churn_after_days,  # C: a buyer lapses after C silent days
        "window": {
            "current": {
                "from": (as_of - timedelta(days=WINDOW_DAYS - 1)).isoformat(),
                "to": as_of.isoformat(),
                **current,
            },
            "previous": {
                "from": (as_of - timedelta(days=2 * WINDOW_DAYS - 1)).isoformat(),
                "to": (as_of - timedelta(days=WINDOW_DAYS)).isoformat(),
                **previous,
            },
        },
        "base": {
            **base,
            "complaint_rate_90": complaint_rate(frames["events"], active, d),
            "cross_sell_rate": cross_sell_rate(inputs.categories, paid),
        },
        "value": {
            # what buyers paid up to the day, and the gross margin on it (margin × paid revenue)
            "paid_revenue_total": round(paid_total, 2),
            "paid_revenue_mean": None if paid_mean is None else round(paid_mean, 2),
            "gross_margin_total": round(inputs.margin * paid_total, 2),
            "gross_margin_mean": None if paid_mean is None else round(inputs.margin * paid_mean, 2),
            "predictive_clv_total": round(float(clv.sum()), 2),
            "predictive_clv_mean": round(float(clv.mean() or 0.0), 2),  # type: ignore[arg-type]
            "customer_equity": round(float(clv.sum()), 2),
        },
        "stages": dict(
            sorted(inputs.stages.group_by("stage").len().iter_rows(), key=lambda kv: str(kv[0]))
        ),
        "nps": nps(
            frames["surveys"],
            d,
            {
                "by_stage": inputs.stages.select("customer_id", "stage"),
                "by_segment": inputs.segments.select("customer_id", "rfm_segment").drop_nulls(),
            },
        ),
        "monthly": monthly(frames, spell_frame, firsts, months_bought, as_of),
        "cohorts": cohort_matrix(months_bought, d),
        "channels": channels(frames["customers"], firsts, revenue, inputs.spend, inputs.margin),
    }
