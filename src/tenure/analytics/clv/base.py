"""What every customer-base model shares: maximum likelihood in log space, standard errors.

A model defines its parameter names, its per-row log-likelihood (and, where it has one, the
gradient), and its predictions. ``fit`` maximises the weighted log-likelihood over the
logarithms of the parameters (so they stay positive), optionally with an L2 penalty
``penalizer * sum(theta**2)`` on the parameters themselves, and then takes standard errors from
the inverse Hessian of the negative log-likelihood at the optimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import optimize

from tenure.kit.errors import TenureError


class ConvergenceError(TenureError, RuntimeError):
    """The optimiser stopped without finding the maximum of the likelihood."""

    status_code = 422


@dataclass(frozen=True)
class Prepared:
    """A model's data after validation and collapsing, ready for the likelihood."""

    arrays: dict[str, np.ndarray]  # distinct rows
    weights: np.ndarray  # customers per distinct row
    n: int  # customers in all


Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(x.size):
        h = 1e-6 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a scalar function (second-order accurate)."""
    k = x.size
    steps = 1e-4 * np.maximum(1.0, np.abs(x))
    out = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                up, down = x.copy(), x.copy()
                up[i] += steps[i]
                down[i] -= steps[i]
                out[i, i] = (f(up) - 2 * f0 + f(down)) / steps[i] ** 2
                continue
            corners = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                p = x.copy()
                p[i] += si * steps[i]
                p[j] += sj * steps[j]
                corners.append(f(p))
            out[i, j] = out[j, i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (
                4 * steps[i] * steps[j]
            )
    return out


class CustomerBaseModel:
    """Base of the maximum-likelihood models; subclasses set ``param_names`` and the likelihood.

    Fitted attributes end in ``_``: ``params_`` (dict), ``standard_errors_`` (dict),
    ``log_likelihood_``, ``converged_``, ``iterations_``, ``n_customers_``.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    gradient_available: ClassVar[bool] = False
    data_hint: ClassVar[str] = (
        "check the data: frequency, recency and T in one time unit, recency ≤ T"
    )

    def __init__(self, penalizer: float = 0.0, initial: dict[str, float] | None = None) -> None:
        if penalizer < 0:
            raise ValueError("penalizer must be ≥ 0")
        self.penalizer = penalizer
        self.initial = initial

    # -- to be provided by each model -------------------------------------------------------
    def _prepare(self, data: Any) -> Prepared:
        raise NotImplementedError

    def _log_likelihood_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _gradient_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Per-row gradient with respect to the natural parameters: shape (rows, k)."""
        raise NotImplementedError

    # -- fitting -----------------------------------------------------------------------------
    def _objective(self, prepared: Prepared) -> Objective:
        """Negative mean penalised log-likelihood over log-parameters, and its gradient."""
        weights, total = prepared.weights, float(prepared.n)
        penal = self.penalizer

        def value_and_grad(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            rows = self._log_likelihood_rows(params, prepared.arrays)
            value = -(weights @ rows) / total + penal * float(params @ params)
            if self.gradient_available:
                grad_natural = -(weights @ self._gradient_rows(params, prepared.arrays)) / total
                grad_natural = grad_natural + 2 * penal * params
                return float(value), grad_natural * params  # chain rule for log-parameters
            return float(value), _numeric_gradient(
                lambda lp: self._penalised_mean(lp, prepared), log_params
            )

        return value_and_grad

    def _penalised_mean(self, log_params: np.ndarray, prepared: Prepared) -> float:
        params = np.exp(log_params)
        rows = self._log_likelihood_rows(params, prepared.arrays)
        return float(-(prepared.weights @ rows) / prepared.n + self.penalizer * params @ params)

    def _start(self) -> np.ndarray:
        if self.initial is None:
            return np.zeros(len(self.param_names))
        return np.log([self.initial[name] for name in self.param_names])

    def _fit_prepared(self, prepared: Prepared) -> None:
        if prepared.n == 0:
            raise ValueError("no customers to fit")
        objective = self._objective(prepared)
        with np.errstate(all="ignore"):  # trial points far from the optimum may overflow
            result = optimize.minimize(
                objective,
                self._start(),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-15},
            )
            _, gradient = objective(result.x)
        # The line search may stop "abnormally" at the optimum itself, where round-off hides
        # any further decrease: judge convergence by the gradient, not by the message alone.
        stationary = bool(np.all(np.isfinite(gradient)) and np.max(np.abs(gradient)) < 1e-5)
        if not np.all(np.isfinite(result.x)) or not (result.success or stationary):
            raise ConvergenceError(
                f"{type(self).__name__} did not converge: {result.message} "
                f"(after {result.nit} iterations). Try a penalizer (e.g. 0.001), or "
                f"{self.data_hint}."
            )
        params = np.exp(result.x)
        self.params_ = dict(zip(self.param_names, params.tolist(), strict=True))
        self.log_likelihood_ = float(
            prepared.weights @ self._log_likelihood_rows(params, prepared.arrays)
        )
        self.converged_ = True
        self.iterations_ = int(result.nit)
        self.n_customers_ = prepared.n
        self.standard_errors_ = self._standard_errors(params, prepared)

    def _standard_errors(self, params: np.ndarray, prepared: Prepared) -> dict[str, float]:
        def negative_ll(p: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                return float(-(prepared.weights @ self._log_likelihood_rows(p, prepared.arrays)))

        with np.errstate(all="ignore"):
            matrix = hessian(negative_ll, params)
        try:
            covariance = np.linalg.inv(matrix)
            errors = np.sqrt(np.where(np.diag(covariance) > 0, np.diag(covariance), np.nan))
        except np.linalg.LinAlgError:
            errors = np.full(params.size, np.nan)
        return dict(zip(self.param_names, errors.tolist(), strict=True))

    # -- conveniences ------------------------------------------------------------------------
    def _fitted(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit() first")
        return np.array([self.params_[n] for n in self.param_names])

    def summary(self) -> dict[str, Any]:
        """Return parameters, standard errors, log-likelihood and convergence as plain data."""
        self._fitted()
        return {
            "model": type(self).__name__,
            "params": dict(self.params_),
            "standard_errors": dict(self.standard_errors_),
            "log_likelihood": self.log_likelihood_,
            "converged": self.converged_,
            "iterations": self.iterations_,
            "customers": self.n_customers_,
        }

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<{type(self).__name__}: not fitted>"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: {shown}; LL={self.log_likelihood_:.2f}>"
