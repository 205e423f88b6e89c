"""From per-customer features to scores and stages: the part every engine shares.

The embedded run (``service.run_scoring``) and the Spark run (``spark_run``) compute features
their own way and then call these: value (CLV models), RFM segments and value × loyalty,
health, lead scores, and the stage policy.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tenure.analytics.health import HealthParams, health
from tenure.analytics.leads import LeadParams, lead_scores
from tenure.analytics.segments import rfm
from tenure.analytics.stages import assign_stages, policy
from tenure.analytics.value import ValueParams, customer_value
from tenure.kit.settings import Settings


def customer_scores(
    features: pl.DataFrame, settings: Settings
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return value, segment, health and lead columns per customer, and the value diagnostics."""
    value, diagnostics = customer_value(features, value_params(settings))
    # the past from the features themselves, whether or not the value model could be fitted
    value = value.drop("historical_value", strict=False).join(
        so_far(features, settings.value.margin), on="customer_id", how="left"
    )
    # RFM scores, named segments and value × loyalty quadrants (by CLV where there is one)
    segments = rfm(features.join(value.select("customer_id", "clv"), on="customer_id", how="left"))
    value = value.join(segments, on="customer_id", how="left")
    value = value.join(
        health(
            features.join(value.select("customer_id", "p_alive"), on="customer_id", how="left"),
            health_params(settings),
        ),
        on="customer_id",
        how="left",
    )
    value = value.join(lead_scores(features, lead_params(settings)), on="customer_id", how="left")
    return value, diagnostics


def so_far(features: pl.DataFrame, margin: float) -> pl.DataFrame:
    """Return each customer's paid revenue up to the as-of day and the gross margin on it.

    paid_revenue = Σ amount of paid orders (0 for a lead); gross_margin = margin × paid_revenue.
    """
    paid = pl.col("revenue_total").fill_null(0.0)
    return features.select(
        "customer_id", paid.alias("paid_revenue"), (margin * paid).alias("gross_margin")
    )


def stages_of(features: pl.DataFrame, value: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Apply the stage policy: customer_id, stage, rule and the numbers behind it."""
    stage_settings = settings.stages
    return assign_stages(
        features.join(
            value.select("customer_id", "p_alive", "health_band"), on="customer_id", how="left"
        ),
        policy(stage_settings.preset, stage_settings.params()),
    )


def value_params(settings: Settings) -> ValueParams:
    """Return the value model's settings."""
    v = settings.value
    return ValueParams(
        model=v.model,
        margin=v.margin,
        monthly_discount_rate=v.monthly_discount_rate,
        horizon_months=v.horizon_months,
    )


def lead_params(settings: Settings) -> LeadParams:
    """Return the lead score's settings."""
    lead = settings.leads
    return LeadParams(
        fit_rules=lead.fit_rules,
        engagement_scale=lead.engagement_scale,
        fit_weight=lead.fit_weight,
        hot_from=lead.hot_from,
        cold_below=lead.cold_below,
    )


def health_params(settings: Settings) -> HealthParams:
    """Return the health score's settings."""
    h = settings.health
    return HealthParams(
        weights=h.weights,
        green_from=h.green_from,
        red_below=h.red_below,
        churn_after_days=settings.stages.churn_after_days,
    )
