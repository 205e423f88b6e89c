"""Customer value in a scoring run: the CLV models fitted on the run's own features.

From the features (days) the models get weekly summaries: frequency = repeat purchase days,
recency = (last − first) / 7, T = tenure / 7, monetary value = repeat revenue / frequency.
BG/NBD (or Pareto/NBD) gives P(alive) and expected purchases, Gamma-Gamma the expected spend,
and CLV is their discounted product over the horizon (``tenure.analytics.clv.value``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import polars as pl

from tenure.analytics.clv import BetaGeo, GammaGamma, ParetoNBD, customer_lifetime_value
from tenure.analytics.clv.base import ConvergenceError, CustomerBaseModel
from tenure.kit.errors import InvalidInput

WEEK = 7.0
Fitted = TypeVar("Fitted", bound=CustomerBaseModel)


@dataclass(frozen=True)
class ValueParams:
    """How value is modelled and counted."""

    model: str = "bgnbd"  # or paretonbd
    margin: float = 0.3
    monthly_discount_rate: float = 0.01
    horizon_months: int = 12


def model_summary(features: pl.DataFrame) -> pl.DataFrame:
    """Return the buyers' weekly summaries the models take."""
    buyers = features.filter(pl.col("purchase_days") > 0)
    return buyers.select(
        "customer_id",
        pl.col("frequency").cast(pl.Float64),
        ((pl.col("last_day") - pl.col("first_day")) / WEEK).alias("recency"),
        (pl.col("tenure_days") / WEEK).alias("T"),
        pl.when(pl.col("frequency") > 0)
        .then(
            ((pl.col("revenue_total") - pl.col("first_day_revenue")) / pl.col("frequency")).clip(
                lower_bound=0.0
            )
        )
        .otherwise(0.0)
        .alias("monetary_value"),
    )


def probability_alive(
    features: pl.DataFrame, model: str = "bgnbd", initial: dict[str, float] | None = None
) -> tuple[pl.Series, dict[str, float]]:
    """Return P(alive) (null for non-buyers) and the parameters of a model fitted on ``features``.

    ``initial`` starts the fit (parameters fitted on nearby data save most of the steps).
    A fit that fails unpenalised is retried with the same small penalty as the run's value step,
    so this P(alive) is the one the run shows. Raises ConvergenceError when neither fit converges.
    """
    summary = model_summary(features)
    model_class = ParetoNBD if model == "paretonbd" else BetaGeo

    def fit_from(start: dict[str, float] | None) -> BetaGeo | ParetoNBD:
        return _fit(
            lambda k: model_class(initial=start, penalizer=k).fit(summary), "transaction", {}
        )

    try:
        fitted = fit_from(initial)
    except ConvergenceError:
        if initial is None:
            raise
        # a warm start taken from a fit on the flat ridge (a, b huge) can strand this one there
        fitted = fit_from(None)
    alive = summary.select("customer_id", pl.Series("p_alive", fitted.probability_alive(summary)))
    joined = features.select("customer_id").join(alive, on="customer_id", how="left")
    return joined["p_alive"], dict(fitted.params_)


# A fit that does not converge unpenalised is tried once more with this small L2 penalty: a
# small shop's data can drive BG/NBD's a and b towards infinity (no dropout heterogeneity),
# where the likelihood is flat and the optimiser loses precision.
FALLBACK_PENALIZER = 0.001


def _fit(fit: Callable[[float], Fitted], name: str, diagnostics: dict[str, Any]) -> Fitted:
    """Fit with ``fit(penalizer)``: unpenalised, else once more with FALLBACK_PENALIZER."""
    try:
        fitted = fit(0.0)
        # the optimiser may also stop "converged" on that flat ridge (which depends on the CPU's
        # floating point): parameters without a finite standard error are the same failure
        if all(math.isfinite(error) for error in fitted.standard_errors_.values()):
            return fitted
    except ConvergenceError:
        pass
    fitted = fit(FALLBACK_PENALIZER)
    diagnostics.setdefault("penalized", []).append(name)
    return fitted


def transaction_model(features: pl.DataFrame, model: str = "bgnbd") -> BetaGeo | ParetoNBD | None:
    """Fit the transaction model a scoring run fits on ``features``; None where it fits none.

    The same summaries, minimum of buyers and penalty fallback as ``customer_value``.
    """
    summary = model_summary(features)
    if summary.height < 20 or int((summary["frequency"] > 0).sum()) < 10:
        return None
    model_class = ParetoNBD if model == "paretonbd" else BetaGeo
    try:
        return _fit(lambda k: model_class(penalizer=k).fit(summary), "transaction", {})
    except (ConvergenceError, InvalidInput):
        return None


def alive_with(fitted: BetaGeo | ParetoNBD, features: pl.DataFrame) -> pl.Series:
    """Return P(alive) of every customer in ``features`` under a fitted model (null for leads).

    A dry run fits once every few weeks and reads each day's features with the same model.
    """
    summary = model_summary(features)
    alive = summary.select(
        "customer_id", pl.Series("p_alive", fitted.probability_alive(summary), dtype=pl.Float64)
    )
    joined = features.select("customer_id").join(alive, on="customer_id", how="left")
    return joined["p_alive"]


def customer_value(
    features: pl.DataFrame, params: ValueParams
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return per-customer value columns and the fitted models' diagnostics."""
    summary = model_summary(features)
    diagnostics: dict[str, Any] = {"customers": summary.height}
    empty = features.select("customer_id").with_columns(
        pl.lit(None, dtype=pl.Float64).alias(name)
        for name in (
            "p_alive",
            "expected_purchases_12m",
            "expected_spend",
            "clv",
        )
    )
    if summary.height < 20 or int((summary["frequency"] > 0).sum()) < 10:
        diagnostics["skipped"] = "fewer than 20 buyers or 10 repeat buyers: no value model"
        return empty, diagnostics
    model_class = ParetoNBD if params.model == "paretonbd" else BetaGeo
    try:
        model = _fit(lambda k: model_class(penalizer=k).fit(summary), "transaction", diagnostics)
        # Gamma-Gamma fits the repeat buyers who spent something and counts the others
        spend = _fit(lambda k: GammaGamma(penalizer=k).fit(summary), "spend", diagnostics)
    except (ConvergenceError, InvalidInput) as exc:
        diagnostics["skipped"] = exc.message
        return empty, diagnostics
    horizon_weeks = params.horizon_months * 30.4375 / WEEK
    clv = customer_lifetime_value(
        model,
        spend,
        summary,
        margin=params.margin,
        discount_rate=params.monthly_discount_rate,
        horizon_months=params.horizon_months,
        unit="W",
    )
    values = summary.select(
        "customer_id",
        pl.Series("p_alive", model.probability_alive(summary)),
        pl.Series(
            "expected_purchases_12m", model.conditional_expected_purchases(horizon_weeks, summary)
        ),
        pl.Series("expected_spend", spend.conditional_expected_spend(summary)),
        pl.Series("clv", clv),
    )
    diagnostics.update(
        {
            "transaction_model": model.summary(),
            "spend_model": spend.summary(),
            "customer_equity": float(np.sum(clv)),
            "margin": params.margin,
            "monthly_discount_rate": params.monthly_discount_rate,
            "horizon_months": params.horizon_months,
        }
    )
    out = features.select("customer_id").join(values, on="customer_id", how="left")
    return out, diagnostics
