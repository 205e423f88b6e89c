"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

A customer's transactions have values ~ Gamma(p, ν); across customers ν ~ Gamma(q, γ). With x
repeat transactions of average value m̄:

    f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q x^(px) m̄^(px−1) / (γ + m̄x)^(px+q)

    E[M | p, q, γ, m̄, x] = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄

a weighted mean of the population mean pγ/(q−1) and the customer's own average. Customers
without repeat purchases are left out of the fit and get the population mean.

References: Fader, Hardie & Lee (2005), RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis, Journal of Marketing Research 42(4); Fader & Hardie (2013), The Gamma-Gamma Model of
Monetary Value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.base import CustomerBaseModel, Prepared
from tenure.analytics.clv.collapse import collapse
from tenure.analytics.clv.data import check, column


class GammaGamma(CustomerBaseModel):
    """Gamma-Gamma spend model; fit on repeat buyers' average transaction value."""

    param_names = ("p", "q", "v")  # v is γ, the scale of the population's ν
    gradient_available = True
    data_hint = "check the data: monetary_value is the mean of the repeat purchases' values"

    def fit(self, data: Any) -> GammaGamma:
        """Fit to ``frequency`` and ``monetary_value``; customers with frequency 0 are skipped."""
        x, m = _spend_columns(data)
        keep = x > 0
        check(~keep | (m > 0), "monetary_value", "> 0 for customers with repeat purchases")
        c = collapse(x[keep], m[keep])
        self._fit_prepared(
            Prepared({"x": c.columns[0], "m": c.columns[1]}, c.weights, int(keep.sum()))
        )
        return self

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        p, q, v = params
        x, m = arrays["x"], arrays["m"]
        px = p * x
        return (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(v + m * x)
        )

    def _gradient_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        p, q, v = params
        x, m = arrays["x"], arrays["m"]
        px = p * x
        psi_all = special.digamma(px + q)
        log_vmx = np.log(v + m * x)
        grad = np.empty((x.size, 3))
        grad[:, 0] = x * (psi_all - special.digamma(px) + np.log(m) + np.log(x) - log_vmx)
        grad[:, 1] = psi_all - special.digamma(q) + np.log(v) - log_vmx
        grad[:, 2] = q / v - (px + q) / (v + m * x)
        return grad

    def population_mean_spend(self) -> float:
        """E[M] for a customer we know nothing about: pγ/(q−1) (infinite when q ≤ 1)."""
        p, q, v = self._fitted()
        return float(p * v / (q - 1)) if q > 1 else float("inf")

    def conditional_expected_spend(self, data: Any) -> np.ndarray:
        """E[M | x, m̄] for every customer; the population mean where frequency is 0."""
        p, q, v = self._fitted()
        x, m = _spend_columns(data)
        known = p * (v + m * x) / (p * x + q - 1)
        return np.where(x > 0, known, self.population_mean_spend())


def _spend_columns(data: Any) -> tuple[np.ndarray, np.ndarray]:
    x = column(data, "frequency")
    m = column(data, "monetary_value")
    check(np.isfinite(x) & (x >= 0), "frequency", "a whole number ≥ 0")
    check(np.isfinite(m) & (m >= 0), "monetary_value", "a number ≥ 0")
    return x, m
