"""BG/BB: beta-geometric / beta-binomial model for discrete purchase opportunities.

At each of n opportunities (yearly events, issues, …) an active customer buys with probability
p ~ Beta(α, β); at the start of each opportunity an active customer leaves with probability
θ ~ Beta(γ, δ). For x purchases, the last at opportunity t_x, out of n:

    L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
        + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)

    P(alive at n+1) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L

    E[X(n, n+n*) | x, t_x, n] = 1/L · B(α+x+1, β+n−x)/B(α,β) · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
        · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)]

Reference: Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-Base Analysis in a
Discrete-Time Noncontractual Setting. Marketing Science 29(6), 1086–1108.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from tenure.analytics.clv.base import CustomerBaseModel, Prepared
from tenure.analytics.clv.collapse import collapse
from tenure.analytics.clv.data import check, column


class BetaGeoBetaBinom(CustomerBaseModel):
    """BG/BB model; data are ``frequency`` (x), ``recency`` (t_x) and ``n`` opportunities."""

    param_names = ("alpha", "beta", "gamma", "delta")
    data_hint = "check the data: whole numbers with frequency ≤ recency ≤ n"

    def fit(self, data: Any) -> BetaGeoBetaBinom:
        """Fit to ``frequency``, ``recency`` and ``n``; return self."""
        x, t_x, n = _discrete_columns(data)
        c = collapse(x, t_x, n)
        self._fit_prepared(
            Prepared(dict(zip(("x", "t_x", "n"), c.columns, strict=True)), c.weights, x.size)
        )
        return self

    def _log_parts(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log of the still-alive term, and log of the sum over when the customer left."""
        alpha, beta, gamma, delta = params
        beta_ab, beta_gd = special.betaln(alpha, beta), special.betaln(gamma, delta)
        alive = (
            special.betaln(alpha + x, beta + n - x)
            - beta_ab
            + special.betaln(gamma, delta + n)
            - beta_gd
        )
        width = int(np.max(n - t_x)) if n.size else 0
        i = np.arange(max(width, 1))[None, :]
        terms = (
            special.betaln(alpha + x[:, None], beta + t_x[:, None] - x[:, None] + i)
            - beta_ab
            + special.betaln(gamma + 1, delta + t_x[:, None] + i)
            - beta_gd
        )
        terms = np.where(i < (n - t_x)[:, None], terms, -np.inf)
        return alive, special.logsumexp(terms, axis=1)

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        alive, gone = self._log_parts(params, arrays["x"], arrays["t_x"], arrays["n"])
        return np.logaddexp(alive, gone)

    def probability_alive(self, data: Any, future: int = 1) -> np.ndarray:
        """P(alive at opportunity n + future) for every customer."""
        params = self._fitted()
        alpha, beta, gamma, delta = params
        x, t_x, n = _discrete_columns(data)
        alive, gone = self._log_parts(params, x, t_x, n)
        log_l = np.logaddexp(alive, gone)
        ahead = (
            special.betaln(alpha + x, beta + n - x)
            - special.betaln(alpha, beta)
            + special.betaln(gamma, delta + n + future)
            - special.betaln(gamma, delta)
        )
        return np.exp(ahead - log_l)

    def conditional_expected_purchases(self, future: int, data: Any) -> np.ndarray:
        """E[purchases in the next ``future`` opportunities | x, t_x, n] for every customer."""
        params = self._fitted()
        alpha, beta, gamma, delta = params
        x, t_x, n = _discrete_columns(data)
        alive, gone = self._log_parts(params, x, t_x, n)
        log_l = np.logaddexp(alive, gone)
        lead = special.betaln(alpha + x + 1, beta + n - x) - special.betaln(alpha, beta)
        return np.exp(lead - log_l) * _survival_sum(gamma, delta, n, future)

    def expected_purchases(self, opportunities: Any) -> np.ndarray:
        """E[X(n)]: expected purchases in the first n opportunities of a new customer."""
        alpha, beta, gamma, delta = self._fitted()
        n = np.atleast_1d(np.asarray(opportunities, dtype=np.float64))
        return alpha / (alpha + beta) * _survival_sum(gamma, delta, np.zeros_like(n), n)

    def probability_of_purchases(self, x: int, opportunities: int) -> float:
        """P(X(n) = x): the chance a new customer buys exactly x times in n opportunities."""
        alpha, beta, gamma, delta = self._fitted()
        n = opportunities
        b_ab, b_gd = special.betaln(alpha, beta), special.betaln(gamma, delta)
        value = np.exp(
            special.betaln(alpha + x, beta + n - x) - b_ab + special.betaln(gamma, delta + n) - b_gd
        ) * special.comb(n, x)
        i = np.arange(x, n)
        value += np.sum(
            special.comb(i, x)
            * np.exp(
                special.betaln(alpha + x, beta + i - x)
                - b_ab
                + special.betaln(gamma + 1, delta + i)
                - b_gd
            )
        )
        return float(value)


def _survival_sum(gamma: float, delta: float, n: np.ndarray, future: Any) -> np.ndarray:
    """Sum P(alive) over the ``future`` opportunities after n, given alive at n.

    Closed form: δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+f)/Γ(γ+δ+n+f)].
    """
    f = np.asarray(future, dtype=np.float64)
    gl = special.gammaln
    lead = gl(gamma + delta) - gl(1 + delta)
    now = np.exp(lead + gl(1 + delta + n) - gl(gamma + delta + n))
    later = np.exp(lead + gl(1 + delta + n + f) - gl(gamma + delta + n + f))
    return delta / (gamma - 1) * (now - later)


def _discrete_columns(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, n = column(data, "frequency"), column(data, "recency"), column(data, "n")
    check((x >= 0) & (np.floor(x) == x), "frequency", "a whole number ≥ 0")
    check((np.floor(t_x) == t_x) & (t_x >= x), "recency", "a whole number ≥ frequency")
    check((np.floor(n) == n) & (n >= t_x), "n", "a whole number ≥ recency")
    return x, t_x, n
