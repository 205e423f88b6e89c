"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in the forms of Fader & Hardie (2005).

While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); they stay alive for
an exponential lifetime with rate μ ~ Gamma(s, β). For x repeat purchases, the last at t_x,
observed for T:

    L = Γ(r+x) α^r β^s / Γ(r) · [ 1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0 ]

    A0 = 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+t_x)) / (α+t_x)^(r+s+x)
       − 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+T)) / (α+T)^(r+s+x)            if α ≥ β
    (with α and β, and s+1 and r+x, trading places when α < β)

    P(alive) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A0)

    E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)

Everything is computed in logarithms; the hypergeometric terms through
``log_hyp2f1_c_is_a_plus_1``, so customers with hundreds of purchases stay finite.

References: Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting Your Customers:
Who Are They and What Will They Do Next? Management Science 33(1), 1–24. Fader, P. S. & Hardie,
B. G. S. (2005). A Note on Deriving the Pareto/NBD Model and Related Expressions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.data import as_array
from tenure.analytics.clv.rft import RecencyFrequencyModel
from tenure.analytics.clv.special import log1mexp, log_hyp2f1_c_is_a_plus_1


def _one_minus_ratio_over(k: float, log_ratio: np.ndarray) -> np.ndarray:
    """Return (1 − exp(k·L)) / k, with its limit −L at k = 0 (s = 1)."""
    if abs(k) < 1e-8:
        return -log_ratio * (1 + k * log_ratio / 2)
    return -np.expm1(k * log_ratio) / k


class ParetoNBD(RecencyFrequencyModel):
    """Pareto/NBD model for non-contractual, continuous-time repeat purchasing."""

    param_names = ("r", "alpha", "s", "beta")

    def _log_a0(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
    ) -> np.ndarray:
        r, alpha, s, beta = params
        if alpha >= beta:
            top, second = alpha, s + 1.0
        else:
            top, second = beta, r + x
        gap = abs(alpha - beta)
        rsx = r + s + x
        log_f1 = log_hyp2f1_c_is_a_plus_1(rsx, second, gap / (top + t_x))
        log_f2 = log_hyp2f1_c_is_a_plus_1(rsx, second, gap / (top + big_t)) + rsx * (
            np.log(top + t_x) - np.log(top + big_t)
        )
        with np.errstate(divide="ignore"):  # t_x = T: A0 = 0, its log −inf, as it should be
            difference = log_f1 + log1mexp(np.minimum(log_f2 - log_f1, 0.0))
        return -rsx * np.log(top + t_x) + difference

    def _parts(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        r, alpha, s, beta = params
        alive_part = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
        gone_part = np.log(s) - np.log(r + s + x) + self._log_a0(params, x, t_x, big_t)
        return alive_part, gone_part

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, s, beta = params
        x = arrays["x"]
        head = r * np.log(alpha) + s * np.log(beta) - special.gammaln(r) + special.gammaln(r + x)
        alive_part, gone_part = self._parts(params, x, arrays["t_x"], arrays["T"])
        return head + np.logaddexp(alive_part, gone_part)

    def alive_given(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """P(alive at T) for arrays of summaries."""
        alive_part, gone_part = self._parts(self._fitted(), x, t_x, big_t)
        return special.expit(alive_part - gone_part)

    def purchases_if_alive(self, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """E[Y(t) | alive, x, T] for arrays of (x, T)."""
        r, alpha, s, beta = self._fitted()
        log_ratio = np.log(beta + big_t) - np.log(beta + big_t + t)
        rate = (r + x) * (beta + big_t) / (alpha + big_t)
        return rate * _one_minus_ratio_over(s - 1, log_ratio)

    def expected_purchases(self, t: Any) -> np.ndarray:
        """E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)] for a customer just acquired."""
        r, alpha, s, beta = self._fitted()
        t = as_array(t)
        return r * beta / alpha * _one_minus_ratio_over(s - 1, np.log(beta) - np.log(beta + t))

    def probability_of_purchases(self, x: int, t: float) -> float:
        """P(X(t) = x) for a customer just acquired (Fader & Hardie 2006, eq. 18)."""
        r, alpha, s, beta = self._fitted()
        first = np.exp(
            special.gammaln(r + x)
            - special.gammaln(r)
            - special.gammaln(x + 1)
            + r * np.log(alpha / (alpha + t))
            + special.xlogy(x, t / (alpha + t))
            + s * np.log(beta / (beta + t))
        )
        top, second = (alpha, s + 1.0) if alpha >= beta else (beta, r + x)
        gap = abs(alpha - beta)
        c = r + s + x + 1
        head = (
            r * np.log(alpha)
            + s * np.log(beta)
            + special.betaln(r + x, s + 1)
            - special.betaln(r, s)
        )
        log_b1 = _log_hyp2f1(r + s, second, c, gap / top) - (r + s) * np.log(top)
        i = np.arange(x + 1)
        log_b2 = _log_hyp2f1(r + s + i, second, c, gap / (top + t)) - (r + s + i) * np.log(top + t)
        log_terms = (
            special.gammaln(r + s + i)
            - special.gammaln(r + s)
            + special.xlogy(i, t)
            - special.gammaln(i + 1)
            + log_b2
        )
        bracket = np.exp(log_b1) - np.exp(special.logsumexp(log_terms))
        return float(first + np.exp(head) * bracket)


def _log_hyp2f1(a: Any, b: float, c: float, z: float) -> np.ndarray:
    """Log 2F1 for 0 ≤ z < 1 through Euler's transformation when the direct value overflows."""
    direct = special.hyp2f1(a, b, c, z)
    with np.errstate(divide="ignore"):
        return np.where(
            np.isfinite(direct),
            np.log(np.where(direct > 0, direct, 1.0)),
            (c - np.asarray(a) - b) * np.log1p(-z)
            + np.log(special.hyp2f1(c - np.asarray(a), c - b, c, z)),
        )
