"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

A customer's transactions have values ~ Gamma(p, ν); across customers ν ~ Gamma(q, γ). With x
repeat transactions of average value m̄:

    f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q x^(px) m̄^(px−1) / (γ + m̄x)^(px+q)

    E[M | p, q, γ, m̄, x] = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄

a weighted mean of the population mean pγ/(q−1) and the customer's own average. The fit uses
the customers with a repeat purchase and a positive average; the others are left out of it
(counted in ``left_out_``) and still predicted:

- no repeat purchase (x = 0): nothing is known of them, so the prior mean pγ/(q−1);
- repeat purchases all zero-valued (x > 0, m̄ = 0: free or fully discounted orders): the
  formula above at m̄ = 0, pγ/(px+q−1) = (q−1)/(px+q−1) · pγ/(q−1). It is the limit of the
  posterior mean as their average falls to 0 (the posterior of ν, Gamma(px+q, γ+m̄x), is
  continuous there), so it sits between the prior mean (one free order says little) and
  their observed 0 (many free orders say a lot).

References: Fader, Hardie & Lee (2005), RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis, Journal of Marketing Research 42(4); Fader & Hardie (2013), The Gamma-Gamma Model of
Monetary Value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.base import CustomerBaseModel, Prepared
from tenure.analytics.clv.collapse import Collapsed, Levels, collapse
from tenure.analytics.clv.data import check, column
from tenure.kit.errors import InvalidInput


class GammaGamma(CustomerBaseModel):
    """Gamma-Gamma spend model; fit on repeat buyers' average transaction value.

    Besides the fitted attributes of every model, ``left_out_`` counts the customers the fit
    could not use, by reason (see the module docstring for what they are predicted).
    """

    param_names = ("p", "q", "v")  # v is γ, the scale of the population's ν
    gradient_available = True
    data_hint = "check the data: monetary_value is the mean of the repeat purchases' values"

    def fit(self, data: Any) -> GammaGamma:
        """Fit to ``frequency`` and ``monetary_value`` of the repeat buyers with positive spend.

        The others are left out and counted in ``left_out_``: ``no_repeat_purchase``
        (frequency 0) and ``zero_spend`` (repeat purchases all zero-valued).
        """
        x, m = _spend_columns(data)
        keep = (x > 0) & (m > 0)
        counts = left_out(x, m)
        if not keep.any():
            raise InvalidInput(
                "Gamma-Gamma has nothing to fit: no customer has a repeat purchase with "
                f"monetary_value > 0 ({counts['no_repeat_purchase']} without a repeat purchase, "
                f"{counts['zero_spend']} whose repeat purchases were all zero-valued)"
            )
        xs, ms = x[keep], m[keep]
        cents = _spend_cents(xs, ms)
        if cents is not None:  # money: equal (x, total) customers collapse into one row
            c = collapse(xs, cents)
            xs, ms = c.columns[0], c.columns[1] / (100 * c.columns[0])
        else:  # arbitrary averages rarely repeat: every repeat buyer weighs one
            c = Collapsed((xs, ms), np.ones(xs.size), np.arange(xs.size))
        self._fit_prepared(Prepared(_arrays(xs, ms, c.weights), c.weights, int(keep.sum())))
        self.left_out_ = counts
        return self

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        p, q, v = params
        pxv, xi = p * arrays["x_values"], arrays["x_index"]
        gammas = (special.gammaln(pxv + q) - special.gammaln(pxv))[xi] - special.gammaln(q)
        px = p * arrays["x"]
        return (
            gammas
            + q * np.log(v)
            + (px - 1) * arrays["log_m"]
            + px * arrays["log_x"]
            - (px + q) * np.log(v + arrays["mx"])
        )

    def _value_and_gradient(
        self, params: np.ndarray, prepared: Prepared
    ) -> tuple[float, np.ndarray]:
        """Fused: sums of the data alone precomputed; one log per customer per evaluation."""
        p, q, v = params
        arrays, w, n = prepared.arrays, prepared.weights, float(prepared.n)
        xv, wx_level, wx = arrays["x_values"], arrays["x_weights"], arrays["wx"]
        sum_xlogm, sum_logm, sum_xlogx = arrays["sums"]
        pxv = p * xv
        shifted = v + arrays["mx"]
        log_shifted = np.log(shifted)
        inverse = 1.0 / shifted
        wx_log, w_log = wx @ log_shifted, w @ log_shifted
        ll = (
            wx_level @ (special.gammaln(pxv + q) - special.gammaln(pxv))
            - n * special.gammaln(q)
            + n * q * np.log(v)
            + p * sum_xlogm
            - sum_logm
            + p * sum_xlogx
            - p * wx_log
            - q * w_log
        )
        psi_all = special.digamma(pxv + q)
        gradient = np.array(
            [
                (wx_level * xv) @ (psi_all - special.digamma(pxv)) + sum_xlogm + sum_xlogx - wx_log,
                wx_level @ psi_all - n * special.digamma(q) + n * np.log(v) - w_log,
                n * q / v - p * (wx @ inverse) - q * (w @ inverse),
            ]
        )
        return float(ll), gradient

    def _hessian(self, params: np.ndarray, prepared: Prepared) -> np.ndarray:
        """Exact second derivatives: x-level sums of trigammas and two passes over the rows."""
        p, q, v = params
        arrays, w, n = prepared.arrays, prepared.weights, float(prepared.n)
        xv, wx_level, wx = arrays["x_values"], arrays["x_weights"], arrays["wx"]
        tri = special.polygamma(1, p * xv + q)
        tri_px = special.polygamma(1, p * xv)
        inverse = 1.0 / (v + arrays["mx"])
        w_inv, wx_inv = w @ inverse, wx @ inverse
        inv2 = inverse * inverse
        h_pp = (wx_level * xv * xv) @ (tri - tri_px)
        h_pq = (wx_level * xv) @ tri
        h_qq = wx_level @ tri - n * special.polygamma(1, q)
        h_pv = -wx_inv
        h_qv = n / v - w_inv
        h_vv = -n * q / v**2 + p * (wx @ inv2) + q * (w @ inv2)
        return np.array([[h_pp, h_pq, h_pv], [h_pq, h_qq, h_qv], [h_pv, h_qv, h_vv]])

    def _subsample(self, prepared: Prepared) -> Prepared | None:
        """Every k-th distinct row, about 10,000, for the warm start."""
        rows = prepared.weights.size
        if rows < 40_000:
            return None
        pick = np.arange(0, rows, rows // 10_000)
        xs, ms, w = prepared.arrays["x"][pick], prepared.arrays["m"][pick], prepared.weights[pick]
        return Prepared(_arrays(xs, ms, w), w, int(w.sum()))

    def _gradient_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        p, q, v = params
        x, xv, xi = arrays["x"], arrays["x_values"], arrays["x_index"]
        px = p * x
        psi_all = special.digamma(p * xv + q)
        log_vmx = np.log(v + arrays["mx"])
        grad = np.empty((x.size, 3))
        grad[:, 0] = x * (
            (psi_all - special.digamma(p * xv))[xi] + arrays["log_m"] + arrays["log_x"] - log_vmx
        )
        grad[:, 1] = psi_all[xi] - special.digamma(q) + np.log(v) - log_vmx
        grad[:, 2] = q / v - (px + q) / (v + arrays["mx"])
        return grad

    def population_mean_spend(self) -> float:
        """E[M] for a customer we know nothing about: pγ/(q−1) (infinite when q ≤ 1)."""
        p, q, v = self._fitted()
        return float(p * v / (q - 1)) if q > 1 else float("inf")

    def conditional_expected_spend(self, data: Any) -> np.ndarray:
        """E[M | x, m̄] for every customer; the population mean where frequency is 0.

        Repeat buyers whose repeat purchases were all zero-valued (m̄ = 0) get pγ/(px+q−1).
        """
        p, q, v = self._fitted()
        x, m = _spend_columns(data)
        known = p * (v + m * x) / (p * x + q - 1)
        return np.where(x > 0, known, self.population_mean_spend())

    def summary(self) -> dict[str, Any]:
        """Return the base summary and the customers left out of the fit, by reason."""
        return {**super().summary(), "left_out": dict(self.left_out_)}


def left_out(x: np.ndarray, m: np.ndarray) -> dict[str, int]:
    """Count the customers Gamma-Gamma cannot learn from, by reason."""
    return {
        "no_repeat_purchase": int(np.count_nonzero(x == 0)),
        "zero_spend": int(np.count_nonzero((x > 0) & (m == 0))),
    }


def _arrays(xs: np.ndarray, ms: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Everything the likelihood needs that depends on the data alone, computed once."""
    levels = Levels.of(xs)
    wx = weights * xs
    log_m, log_x = np.log(ms), np.log(xs)
    return {
        "x": xs,
        "m": ms,
        "mx": ms * xs,
        "log_m": log_m,
        "log_x": log_x,
        "x_values": levels.values,
        "x_index": levels.index,
        "x_weights": np.bincount(levels.index, weights),
        "wx": wx,
        "sums": np.array([wx @ log_m, weights @ log_m, wx @ log_x]),
    }


def _spend_cents(x: np.ndarray, m: np.ndarray) -> np.ndarray | None:
    """Each customer's spend total m·x in whole cents, when every total is one (as money is).

    Averages rebuilt from the cents differ from the given ones by float round-off only.
    """
    cents = m * x * 100
    whole = np.rint(cents)
    if not np.all(np.abs(cents - whole) <= 1e-6 * np.maximum(1, whole)):
        return None
    return whole


def _spend_columns(data: Any) -> tuple[np.ndarray, np.ndarray]:
    x = column(data, "frequency")
    m = column(data, "monetary_value")
    check(np.isfinite(x) & (x >= 0), "frequency", "a whole number ≥ 0")
    check(np.isfinite(m) & (m >= 0), "monetary_value", "a number ≥ 0")
    return x, m
