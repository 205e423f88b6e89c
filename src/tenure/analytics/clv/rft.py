"""Models of (frequency, recency, T): fitting and per-customer predictions over distinct rows."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from tenure.analytics.clv.base import CustomerBaseModel, Prepared
from tenure.analytics.clv.collapse import Levels, collapse
from tenure.analytics.clv.summary import CustomerSummary


class RecencyFrequencyModel(CustomerBaseModel):
    """Base of BG/NBD, MBG/NBD and Pareto/NBD.

    Subclasses compute on arrays of distinct (x, t_x, T) rows — ``alive_given`` and, since
    in all three models the expected purchases of a customer still alive depend on x and T
    only, ``purchases_if_alive`` on distinct (x, T) rows — and this class spreads the results
    back to every customer.
    """

    def fit(self, data: Any) -> Self:
        """Fit to a summary with ``frequency``, ``recency`` and ``T``; return self."""
        summary = CustomerSummary.of(data)
        c = summary.collapsed
        x, t_x, big_t = c.columns
        arrays = {"x": x, "t_x": t_x, "T": big_t}
        for name in ("x", "t_x", "T"):  # few distinct values each: tables for the likelihood
            levels = Levels.of(arrays[name])
            arrays[f"{name}_values"], arrays[f"{name}_index"] = levels.values, levels.index
        arrays["x_weights"] = np.bincount(arrays["x_index"], c.weights)
        self._fit_prepared(Prepared(arrays, c.weights, summary.size))
        return self

    def purchases_if_alive(self, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """E[Y(t) | alive at T, x, T] for arrays of (x, T)."""
        raise NotImplementedError

    def expected_given(
        self, t: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T] for arrays of summaries."""
        pairs = collapse(x, big_t)
        return self.alive_given(x, t_x, big_t) * pairs.expand(
            self.purchases_if_alive(t, *pairs.columns)
        )

    def alive_given(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """P(alive at T) for arrays of summaries."""
        raise NotImplementedError

    def expected_purchases(self, t: Any) -> np.ndarray:
        """E[X(t)]: expected repeat purchases in (0, t] of a customer just acquired."""
        raise NotImplementedError

    def probability_alive(self, data: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T) for every customer of ``data``."""
        c = CustomerSummary.of(data).collapsed
        return c.expand(self.alive_given(*c.columns))

    def conditional_expected_purchases(self, t: float, data: Any) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` for every customer."""
        c = CustomerSummary.of(data).collapsed
        return c.expand(self.expected_given(float(t), *c.columns))
