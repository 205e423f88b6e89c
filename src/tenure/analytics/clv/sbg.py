"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

Each period a customer cancels with probability θ ~ Beta(α, β). From the numbers still active
at the start of each period of a cohort:

    P(T = t) = B(α+1, β+t−1) / B(α, β)        S(t) = B(α, β+t) / B(α, β)

    LL = Σ_t (n_{t−1} − n_t) · ln P(T = t) + n_last · ln S(last)

    retention rate r_t = (β+t−1) / (α+β+t−1)  (rising with t: the weak leave first)

    DERL(d | n) = (β+n−1)/(α+β+n−1) · 2F1(1, β+n; α+β+n; 1/(1+d))
    (discounted expected residual lifetime of a customer who has made n−1 renewals;
    Fader & Hardie 2010)

References: Fader, P. S. & Hardie, B. G. S. (2007). How to Project Customer Retention. Journal
of Interactive Marketing 21(1), 76–90. Fader & Hardie (2010). Customer-Base Valuation in a
Contractual Setting: The Perils of Ignoring Heterogeneity. Marketing Science 29(1), 85–93.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.base import CustomerBaseModel, Prepared
from tenure.analytics.clv.data import as_array, check


class ShiftedBetaGeo(CustomerBaseModel):
    """sBG retention model; fit on the numbers of a cohort still active at each period."""

    param_names = ("alpha", "beta")
    data_hint = "check the data: active counts start with the cohort size and never rise"

    def fit(self, active: Any) -> ShiftedBetaGeo:
        """Fit to ``active``: customers active at the start of periods 0, 1, 2, … (n_0 first)."""
        counts = as_array(active)
        check(np.isfinite(counts) & (counts >= 0), "active", "a count ≥ 0")
        if counts.size < 2:
            raise ValueError("need the cohort size and at least one later count")
        check(np.diff(counts, prepend=counts[0]) <= 0, "active", "never rising")
        lost = -np.diff(counts)
        periods = np.arange(1, counts.size)
        arrays = {
            "t": np.append(periods, periods[-1]),
            "lost": np.append(lost, counts[-1]),
            "survivor": np.append(np.zeros(lost.size), 1.0),
        }
        self._fit_prepared(Prepared(arrays, arrays["lost"], int(counts[0])))
        return self

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        alpha, beta = params
        t = arrays["t"]
        beta_ab = special.betaln(alpha, beta)
        churned = special.betaln(alpha + 1, beta + t - 1) - beta_ab
        survived = special.betaln(alpha, beta + t) - beta_ab
        return np.where(arrays["survivor"] > 0, survived, churned)

    def survival(self, t: Any) -> np.ndarray:
        """S(t): the share of a new cohort still active after t periods."""
        alpha, beta = self._fitted()
        t = as_array(t)
        return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))

    def retention_rate(self, t: Any) -> np.ndarray:
        """r_t = S(t)/S(t−1): the share of those active in period t−1 who renew for period t."""
        alpha, beta = self._fitted()
        t = as_array(t)
        return (beta + t - 1) / (alpha + beta + t - 1)

    def churn_probability(self, t: Any) -> np.ndarray:
        """P(T = t): the share of a new cohort that cancels in period t."""
        alpha, beta = self._fitted()
        t = as_array(t)
        return np.exp(special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta))

    def discounted_expected_residual_lifetime(
        self, renewals: Any, discount_rate: float
    ) -> np.ndarray:
        """DERL: discounted periods still to come for a customer after ``renewals`` renewals."""
        alpha, beta = self._fitted()
        n = as_array(renewals) + 1
        return (
            (beta + n - 1)
            / (alpha + beta + n - 1)
            * special.hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + discount_rate))
        )

    def customer_lifetime_value(
        self, margin_per_period: float, renewals: Any, discount_rate: float
    ) -> np.ndarray:
        """Value of an existing customer's remaining contract: margin × DERL."""
        return margin_per_period * self.discounted_expected_residual_lifetime(
            renewals, discount_rate
        )
