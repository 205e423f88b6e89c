"""Lead score 0–100 for potential customers: how well they fit, and how engaged they are.

    fit         Σ points of the ideal-customer rules a lead meets (filter trees), capped at 100
    engagement  100 · (1 − e^(−engagement / scale)), where the engagement feature sums the
                lead's events weighted by type and halved every half-life (see features)
    lead score  fit_weight · fit + (1 − fit_weight) · engagement; hot from ``hot_from``,
                cold below ``cold_below``, warm between

Customers who have bought have no lead score. Beside it, once enough leads have converted, a
learned model gives each lead's probability of buying within 90 days (``conversion``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tenure.kit.filters import to_polars

DEFAULT_FIT_RULES: tuple[dict[str, Any], ...] = (
    {
        "when": {
            "field": "acquisition_channel",
            "op": "in",
            "value": ["referral", "events", "partners"],
        },
        "points": 40,
    },
    {"when": {"field": "email_consent", "op": "=", "value": True}, "points": 30},
    {
        "when": {"field": "company_size", "op": "in", "value": ["51-200", "201-1000", "1000+"]},
        "points": 30,
    },
)


@dataclass(frozen=True)
class LeadParams:
    """Ideal-customer rules and how fit and engagement combine."""

    fit_rules: Sequence[Mapping[str, Any]] = field(default_factory=lambda: DEFAULT_FIT_RULES)
    engagement_scale: float = 10.0
    fit_weight: float = 0.5
    hot_from: float = 70.0
    cold_below: float = 40.0


def lead_scores(features: pl.DataFrame, params: LeadParams) -> pl.DataFrame:
    """Return customer_id, lead_fit, lead_engagement, lead_score and lead_band."""
    fields = set(features.columns)
    fit = pl.lit(0.0)
    for rule in params.fit_rules:
        fit = fit + pl.when(to_polars(rule["when"], fields=fields)).then(
            float(rule["points"])
        ).otherwise(0.0)
    engagement = 100 * (1 - (-pl.col("engagement").fill_null(0.0) / params.engagement_scale).exp())
    leads = (
        features.filter(pl.col("purchase_days") == 0)
        .select(
            "customer_id",
            fit.clip(0.0, 100.0).round(1).alias("lead_fit"),
            engagement.round(1).alias("lead_engagement"),
        )
        .with_columns(
            (
                params.fit_weight * pl.col("lead_fit")
                + (1 - params.fit_weight) * pl.col("lead_engagement")
            )
            .round(1)
            .alias("lead_score")
        )
    )
    band = (
        pl.when(pl.col("lead_score") >= params.hot_from)
        .then(pl.lit("hot"))
        .when(pl.col("lead_score") < params.cold_below)
        .then(pl.lit("cold"))
        .otherwise(pl.lit("warm"))
    )
    return features.select("customer_id").join(
        leads.with_columns(band.alias("lead_band")), on="customer_id", how="left"
    )
