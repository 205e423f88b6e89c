"""MBG/NBD: modified BG/NBD (Batislam, Denizel & Filiztekin 2007).

As BG/NBD, but a customer may also become inactive right after the first purchase, so a
customer with no repeat purchase is not assumed alive:

    L = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + B(a+1, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

    P(alive) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))

    E[Y(t) | x, t_x, T] = (a+b+x)/(a−1)
        · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive)

Reference: Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
comparison of models for customer base analysis. International Journal of Research in
Marketing 24(3), 201–209.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.data import as_array
from tenure.analytics.clv.rft import RecencyFrequencyModel
from tenure.analytics.clv.special import scaled_hyp2f1_euler


class ModifiedBetaGeo(RecencyFrequencyModel):
    """MBG/NBD model: BG/NBD where dropping out right after the first purchase is possible."""

    param_names = ("r", "alpha", "a", "b")

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, a, b = params
        x, t_x, big_t = arrays["x"], arrays["t_x"], arrays["T"]
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        beta_ab = special.betaln(a, b)
        alive = special.betaln(a, b + x + 1) - beta_ab - (r + x) * np.log(alpha + big_t)
        gone = special.betaln(a + 1, b + x) - beta_ab - (r + x) * np.log(alpha + t_x)
        return head + np.logaddexp(alive, gone)

    def alive_given(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """P(alive at T) for arrays of summaries."""
        r, alpha, a, b = self._fitted()
        log_odds = (
            np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        return special.expit(-log_odds)

    def purchases_if_alive(self, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """E[Y(t) | alive, x, T] for arrays of (x, T)."""
        r, alpha, a, b = self._fitted()
        z = t / (alpha + big_t + t)
        tail = scaled_hyp2f1_euler(r + x, b + x + 1, a + b + x, z)
        return (a + b + x) / (a - 1) * (1 - tail)

    def expected_purchases(self, t: Any) -> np.ndarray:
        """E[X(t)] for a customer who has just made a first purchase."""
        r, alpha, a, b = self._fitted()
        t = as_array(t)
        z = t / (alpha + t)
        tail = scaled_hyp2f1_euler(r, b + 1, a + b, z)
        return (a + b - 1) / (a - 1) * (1 - tail)
