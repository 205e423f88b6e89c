"""Predictive customer lifetime value and customer equity.

CLV_i = Σ_{k=1..H} margin · E[M_i] · (E[Y_i(k)] − E[Y_i(k−1)]) / (1 + d)^k

over H months, with E[Y_i(k)] the expected purchases in the next k months (the transaction
model's conditional expectation, converted to the model's time unit), E[M_i] the expected spend
per purchase (Gamma-Gamma), d the monthly discount rate, and the margin the share of revenue
kept. Customer equity is the sum of CLV over the customers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenure.analytics.clv.collapse import collapse
from tenure.analytics.clv.gammagamma import GammaGamma
from tenure.analytics.clv.rft import RecencyFrequencyModel
from tenure.analytics.clv.summary import CustomerSummary, unit_days

DAYS_PER_MONTH = 30.4375


def customer_lifetime_value(
    transactions: RecencyFrequencyModel,
    spend: GammaGamma,
    data: Any,
    *,
    margin: float = 0.3,
    discount_rate: float = 0.01,
    horizon_months: int = 12,
    unit: str = "W",
    days_per_month: float = DAYS_PER_MONTH,
) -> np.ndarray:
    """Discounted expected margin of every customer over the next ``horizon_months``.

    ``days_per_month`` sets the month's length (30.4375 days, a year over twelve).
    """
    if not 0 <= margin <= 1:
        raise ValueError("margin must be between 0 and 1")
    if discount_rate < 0 or horizon_months < 1:
        raise ValueError("discount_rate must be ≥ 0 and horizon_months ≥ 1")
    summary = CustomerSummary.of(data)
    spend_per_purchase = spend.conditional_expected_spend(data)
    step = days_per_month / unit_days(unit)
    c = summary.collapsed
    x, t_x, big_t = c.columns
    # P(alive) once; the purchases of a customer still alive once per distinct (x, T).
    alive = transactions.alive_given(x, t_x, big_t)
    pairs = collapse(x, big_t)
    previous = np.zeros(pairs.size)
    discounted = np.zeros(pairs.size)
    for month in range(1, horizon_months + 1):
        cumulative = transactions.purchases_if_alive(month * step, *pairs.columns)
        discounted += (cumulative - previous) / (1 + discount_rate) ** month
        previous = cumulative
    return margin * spend_per_purchase * c.expand(alive * pairs.expand(discounted))


def customer_equity(clv: np.ndarray) -> float:
    """Sum of CLV over the customers."""
    return float(np.sum(clv))
