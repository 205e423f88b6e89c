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

from tenure.analytics.clv.base import Prepared
from tenure.analytics.clv.data import as_array
from tenure.analytics.clv.rft import RecencyFrequencyModel
from tenure.analytics.clv.special import scaled_hyp2f1_euler


class BetaGeo(RecencyFrequencyModel):
    """BG/NBD model of repeat purchasing for non-contractual, continuous-time settings."""

    param_names = ("r", "alpha", "a", "b")
    gradient_available = True

    # -- likelihood --------------------------------------------------------------------------
    def _terms(
        self, params: np.ndarray, arrays: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: the log of Γ(r+x)α^r/Γ(r), and of the likelihood's two terms."""
        r, alpha, a, b = params
        xv = arrays["x_values"]
        beta_ab = special.betaln(a, b)
        # Terms of x alone, once per distinct x; terms of T and t_x, once per distinct value.
        head = (special.gammaln(r + xv) - special.gammaln(r) + r * np.log(alpha))[arrays["x_index"]]
        b_first = (special.betaln(a, b + xv) - beta_ab)[arrays["x_index"]]
        b_second = (special.betaln(a + 1, b + np.maximum(xv, 1) - 1) - beta_ab)[arrays["x_index"]]
        log_t = np.log(alpha + arrays["T_values"])[arrays["T_index"]]
        log_tx = np.log(alpha + arrays["t_x_values"])[arrays["t_x_index"]]
        rx = r + arrays["x"]
        first = b_first - rx * log_t
        second = np.where(arrays["x"] > 0, b_second - rx * log_tx, -np.inf)
        return head, first, second

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        head, first, second = self._terms(params, arrays)
        return head + np.logaddexp(first, second)

    def _value_and_gradient(
        self, params: np.ndarray, prepared: Prepared
    ) -> tuple[float, np.ndarray]:
        """Fused: x-only terms summed once per distinct x; per-row work kept to a minimum.

        With w1 + w2 = 1 the weights of the likelihood's two terms, the gradient is
        ∂/∂r = ψ(r+x) − ψ(r) + ln α − w1 ln(α+T) − w2 ln(α+t_x),
        ∂/∂α = r/α − (r+x)(w1/(α+T) + w2/(α+t_x)),
        ∂/∂a = ψ(a+b) − ψ(a+b+x) + w2 (ψ(a+1) − ψ(a)),
        ∂/∂b = w1 ψ(b+x) + w2 ψ(b+x−1) − ψ(b) + ψ(a+b) − ψ(a+b+x).
        """
        r, alpha, a, b = params
        arrays, w, n = prepared.arrays, prepared.weights, float(prepared.n)
        xv, xi, wx = arrays["x_values"], arrays["x_index"], arrays["x_weights"]
        t_idx, tx_idx = arrays["T_index"], arrays["t_x_index"]
        psi = special.digamma
        beta_ab = special.betaln(a, b)
        # Tables over distinct x, T and t_x; each gathered to the rows once.
        head = special.gammaln(r + xv) - special.gammaln(r) + r * np.log(alpha)
        b_first = special.betaln(a, b + xv) - beta_ab
        b_second = special.betaln(a + 1, b + np.maximum(xv, 1) - 1) - beta_ab
        t_shift = alpha + arrays["T_values"]
        tx_shift = alpha + arrays["t_x_values"]
        log_t = np.log(t_shift)[t_idx]
        log_tx = np.log(tx_shift)[tx_idx]
        rx = r + arrays["x"]
        first = b_first[xi] - rx * log_t
        second = np.where(arrays["x"] > 0, b_second[xi] - rx * log_tx, -np.inf)
        total = np.logaddexp(first, second)
        ll = float(wx @ head + w @ total)
        ww1 = w * np.exp(first - total)
        ww2 = w - ww1
        s2 = np.bincount(xi, ww2, minlength=xv.size)
        d_abx = psi(a + b + xv)
        d_ab = psi(a + b)
        inv_t = (1 / t_shift)[t_idx]
        inv_tx = (1 / tx_shift)[tx_idx]
        gradient = np.array(
            [
                wx @ (psi(r + xv) - psi(r) + np.log(alpha)) - ww1 @ log_t - ww2 @ log_tx,
                n * r / alpha - (rx * ww1) @ inv_t - (rx * ww2) @ inv_tx,
                n * d_ab - wx @ d_abx + (psi(a + 1) - psi(a)) * s2.sum(),
                (wx - s2) @ psi(b + xv)
                + s2 @ psi(b + np.maximum(xv, 1) - 1)
                - n * psi(b)
                + n * d_ab
                - wx @ d_abx,
            ]
        )
        return ll, gradient

    def _gradient_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        r, alpha, a, b = params
        x, xi = arrays["x"], arrays["x_index"]
        xv = arrays["x_values"]
        psi = special.digamma
        _, first, second = self._terms(params, arrays)
        total = np.logaddexp(first, second)
        w1 = np.exp(first - total)
        w2 = np.exp(second - total)  # 0 where x = 0
        log_t = np.log(alpha + arrays["T_values"])[arrays["T_index"]]
        log_tx = np.log(alpha + arrays["t_x_values"])[arrays["t_x_index"]]
        inv_t = (1 / (alpha + arrays["T_values"]))[arrays["T_index"]]
        inv_tx = (1 / (alpha + arrays["t_x_values"]))[arrays["t_x_index"]]
        d_ab = psi(a + b)
        d_abx = psi(a + b + xv)[xi]
        grad = np.empty((x.size, 4))
        grad[:, 0] = (psi(r + xv) - psi(r) + np.log(alpha))[xi] - w1 * log_t - w2 * log_tx
        grad[:, 1] = r / alpha - (r + x) * (w1 * inv_t + w2 * inv_tx)
        grad[:, 2] = w1 * (d_ab - d_abx) + w2 * (psi(a + 1) - psi(a) + d_ab - d_abx)
        psi_b = psi(b)
        grad[:, 3] = w1 * (psi(b + xv)[xi] - psi_b + d_ab - d_abx) + w2 * (
            psi(b + np.maximum(xv, 1) - 1)[xi] - psi_b + d_ab - d_abx
        )
        return grad

    # -- predictions ---------------------------------------------------------------------------
    def _log_odds_dead(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._fitted()
        xm = np.maximum(x, 1)
        # one log of a ratio per term rather than a difference of logs: fewer passes
        odds = np.log(a / (b + xm - 1)) + (r + x) * np.log((alpha + big_t) / (alpha + t_x))
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
        tail = scaled_hyp2f1_euler(r, b, a + b - 1, z)  # (1−z)^(a−1) · …, finite
        return (a + b - 1) / (a - 1) * (1 - tail)

    def purchases_if_alive(self, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """E[Y(t) | alive, x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) 2F1(…)]."""
        r, alpha, a, b = self._fitted()
        z = t / (alpha + big_t + t)
        # ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1) 2F1(a+b−1−r, a−1; …; z)
        tail = scaled_hyp2f1_euler(r + x, b + x, a + b + x - 1, z)
        return (a + b + x - 1) / (a - 1) * (1 - tail)

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
