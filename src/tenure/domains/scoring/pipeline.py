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
    features: pl.DataFrame, settings: Settings, risk: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return value, segment, health and lead columns per customer, and the value diagnostics.

    ``risk`` (customer_id, churn_risk, churn_reasons) is the churn model's output; with
    ``value.p_alive = "churn_model"`` it gives P(alive) (``alive_from_churn``).
    """
    value, diagnostics = customer_value(features, value_params(settings))
    # the past from the features themselves, whether or not the value model could be fitted
    value = value.join(so_far(features, settings.value.margin), on="customer_id", how="left")
    if risk is not None:
        value = value.join(risk, on="customer_id", how="left")
        if settings.value.p_alive == "churn_model":
            value, diagnostics["p_alive_source"] = alive_from_churn(value)
            if "customer_equity" in diagnostics:  # the sum of the CLV the run keeps
                diagnostics["customer_equity"] = float(value["clv"].sum())
    diagnostics.setdefault("p_alive_source", "transaction_model")
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


def alive_from_churn(value: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """Take P(alive) as 1 − churn risk where the churn model scored; say where it came from.

    The churn model's risk is the chance of no purchase and no activity in its horizon, learned
    from the store's own past; its complement is the better calibrated P(alive) on the demo
    company's truth (docs/stages.md). Expected purchases and CLV are P(alive) times their
    value if alive, so they follow the new P(alive) in proportion.
    """
    if value["churn_risk"].is_null().all():
        return value, "transaction_model"
    alive = (1.0 - pl.col("churn_risk")).round(4)  # the risk is kept to 4 decimals too
    ratio = pl.when(pl.col("p_alive") > 0).then(alive / pl.col("p_alive"))
    scaled = pl.when(pl.col("churn_risk").is_not_null())
    return (
        value.with_columns(
            scaled.then(pl.col(c) * ratio).otherwise(pl.col(c)).alias(c)
            for c in ("clv", "expected_purchases_12m")
        ).with_columns(scaled.then(alive).otherwise(pl.col("p_alive")).alias("p_alive")),
        "churn_model",
    )


def without_risk_for_churned(value: pl.DataFrame, stages: pl.DataFrame) -> pl.DataFrame:
    """Clear churn risk and its reasons for churned customers: they have already left.

    Their P(alive) is then the chance that they come back within the churn horizon.
    """
    churned = pl.col("customer_id").is_in(
        stages.filter(pl.col("stage") == "churned")["customer_id"].implode()
    )
    return value.with_columns(
        pl.when(~churned).then(pl.col(c)).alias(c) for c in ("churn_risk", "churn_reasons")
    )


def stages_of(
    features: pl.DataFrame, value: pl.DataFrame, settings: Settings, p_alive_learned: bool = False
) -> pl.DataFrame:
    """Apply the stage policy: customer_id, stage, rule and the numbers behind it.

    ``p_alive_learned``: P(alive) came from the churn model (learned from the store's past).
    """
    stage_settings = settings.stages
    model = value.select("customer_id", "p_alive", "health_band").with_columns(
        pl.lit(p_alive_learned).alias("p_alive_learned")
    )
    return assign_stages(
        features.join(model, on="customer_id", how="left"),
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
        fit_rules=[{"when": r.when, "points": r.points} for r in lead.fit_rules],
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
