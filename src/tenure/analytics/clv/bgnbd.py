"""BG/NBD: beta-geometric / negative binomial distribution (Fader, Hardie & Lee 2005).

While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
purchase they become inactive with probability p ~ Beta(a, b). For a customer with x repeat
purchases, the last at t_x, observed for T:

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

    P(alive) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))

    E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
        · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive)

Reference: Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the
Easy Way: An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275–284.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.data import as_array
from tenure.analytics.clv.rft import RecencyFrequencyModel
from tenure.analytics.clv.special import hyp2f1_euler


class BetaGeo(RecencyFrequencyModel):
    """BG/NBD model of repeat purchasing for non-contractual, continuous-time settings."""

    param_names = ("r", "alpha", "a", "b")
    gradient_available = True

    # -- likelihood --------------------------------------------------------------------------
    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, a, b = params
        x, t_x, big_t = arrays["x"], arrays["t_x"], arrays["T"]
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        beta_ab = special.betaln(a, b)
        first = special.betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + big_t)
        second = np.where(
            x > 0,
            special.betaln(a + 1, b + np.maximum(x, 1) - 1)
            - beta_ab
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return head + np.logaddexp(first, second)

    def _gradient_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, a, b = params
        x, t_x, big_t = arrays["x"], arrays["t_x"], arrays["T"]
        psi = special.digamma
        beta_ab = special.betaln(a, b)
        log_t = np.log(alpha + big_t)
        log_tx = np.log(alpha + t_x)
        xm = np.maximum(x, 1)
        first = special.betaln(a, b + x) - beta_ab - (r + x) * log_t
        second = np.where(
            x > 0, special.betaln(a + 1, b + xm - 1) - beta_ab - (r + x) * log_tx, -np.inf
        )
        total = np.logaddexp(first, second)
        w1 = np.exp(first - total)
        w2 = np.exp(second - total)  # 0 where x = 0
        d_ab = psi(a + b)
        d_abx = psi(a + b + x)
        grad = np.empty((x.size, 4))
        grad[:, 0] = psi(r + x) - psi(r) + np.log(alpha) - w1 * log_t - w2 * log_tx
        grad[:, 1] = r / alpha - (r + x) * (w1 / (alpha + big_t) + w2 / (alpha + t_x))
        grad[:, 2] = w1 * (d_ab - d_abx) + w2 * (psi(a + 1) - psi(a) + d_ab - d_abx)
        grad[:, 3] = w1 * (psi(b + x) - psi(b) + d_ab - d_abx) + w2 * (
            psi(b + xm - 1) - psi(b) + d_ab - d_abx
        )
        return grad

    # -- predictions ---------------------------------------------------------------------------
    def _log_odds_dead(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._fitted()
        xm = np.maximum(x, 1)
        odds = (
            np.log(a) - np.log(b + xm - 1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        return np.where(x > 0, odds, -np.inf)

    def alive_given(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """P(alive at T) for arrays of summaries."""
        return special.expit(-self._log_odds_dead(x, t_x, big_t))

    def expected_purchases(self, t: Any) -> np.ndarray:
        """E[X(t)]: expected purchases in (0, t] of a customer who has just made a first one."""
        r, alpha, a, b = self._fitted()
        t = as_array(t)
        z = t / (alpha + t)
        # (α/(α+t))^r 2F1(r, b; a+b−1; z) = (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b−1; z)  (Euler)
        tail = (1 - z) ** (a - 1) * hyp2f1_euler(r, b, a + b - 1, z)
        return (a + b - 1) / (a - 1) * (1 - tail)

    def expected_given(
        self, t: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T] for arrays of summaries."""
        r, alpha, a, b = self._fitted()
        z = t / (alpha + big_t + t)
        # ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1) 2F1(a+b−1−r, a−1; …; z)
        tail = (1 - z) ** (a - 1) * hyp2f1_euler(r + x, b + x, a + b + x - 1, z)
        alive = self.alive_given(x, t_x, big_t)
        return (a + b + x - 1) / (a - 1) * (1 - tail) * alive

    def probability_of_purchases(self, x: int, t: float) -> float:
        """P(X(t) = x): the chance a new customer makes exactly x repeat purchases in (0, t]."""
        r, alpha, a, b = self._fitted()
        q = t / (alpha + t)
        log_first = (
            special.betaln(a, b + x)
            - special.betaln(a, b)
            + special.gammaln(r + x)
            - special.gammaln(r)
            - special.gammaln(x + 1)
            + r * np.log1p(-q)
            + special.xlogy(x, q)
        )
        value = float(np.exp(log_first))
        if x > 0:
            j = np.arange(x)
            terms = np.exp(
                special.gammaln(r + j)
                - special.gammaln(r)
                - special.gammaln(j + 1)
                + j * np.log(q)
                + r * np.log(1 - q)
            )
            value += float(
                np.exp(special.betaln(a + 1, b + x - 1) - special.betaln(a, b)) * (1 - terms.sum())
            )
        return value
