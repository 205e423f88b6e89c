"""Pareto/NBD against Fader & Hardie's CDNOW figures, simulated data and mpmath."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.paretonbd import ParetoNBD
from tenure.analytics.clv.simulate import simulate_paretonbd
from tests.analytics.clv.conftest import within_standard_errors

PUBLISHED = {"r": 0.5532, "alpha": 10.5763, "s": 0.6062, "beta": 11.6715}


@pytest.fixture(scope="module")
def fitted(cdnow: pl.DataFrame) -> ParetoNBD:
    return ParetoNBD().fit(cdnow)


def test_matches_the_published_cdnow_fit(fitted: ParetoNBD) -> None:
    for name, value in PUBLISHED.items():
        assert fitted.params_[name] == pytest.approx(value, rel=0.005), name
    assert fitted.log_likelihood_ == pytest.approx(-9594.98, abs=0.05)


def _mp_likelihood(params: dict[str, float], x: int, t_x: float, big_t: float) -> mpmath.mpf:
    """The likelihood in its integral form (Fader & Hardie 2005, eq. 2), in mpmath.

    L = C·[(α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^{T} (α+y)^-(r+x) (β+y)^-(s+1) dy]
    """
    r, alpha, s, beta = (mpmath.mpf(params[k]) for k in ("r", "alpha", "s", "beta"))
    head = mpmath.gamma(r + x) * alpha**r * beta**s / mpmath.gamma(r)
    alive = 1 / ((alpha + big_t) ** (r + x) * (beta + big_t) ** s)
    # subdivided: with many purchases the integrand falls steeply from t_x
    gone = s * mpmath.quad(
        lambda y: (alpha + y) ** -(r + x) * (beta + y) ** -(s + 1), mpmath.linspace(t_x, big_t, 40)
    )
    return head * (alive + gone)


@pytest.mark.parametrize(
    ("x", "t_x", "big_t"), [(0, 0.0, 38.86), (2, 30.43, 38.86), (12, 5.0, 38.0), (350, 30.0, 38.0)]
)
@pytest.mark.parametrize("params", [PUBLISHED, {"r": 0.8, "alpha": 4.0, "s": 1.3, "beta": 9.0}])
def test_likelihood_and_p_alive_agree_with_mpmath(
    params: dict[str, float], x: int, t_x: float, big_t: float
) -> None:
    mpmath.mp.dps = 40
    model = ParetoNBD()
    model.params_ = dict(params)
    arrays = {"x": np.array([float(x)]), "t_x": np.array([t_x]), "T": np.array([big_t])}
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        ll = model._log_likelihood_rows(np.array(list(params.values())), arrays)[0]
        alive = model.probability_alive({"frequency": [x], "recency": [t_x], "T": [big_t]})[0]
    exact = _mp_likelihood(params, x, t_x, big_t)
    assert ll == pytest.approx(float(mpmath.log(exact)), rel=1e-9)
    r, alpha, s, beta = (mpmath.mpf(params[k]) for k in ("r", "alpha", "s", "beta"))
    head = mpmath.gamma(r + x) * alpha**r * beta**s / mpmath.gamma(r)
    alive_term = head / ((alpha + big_t) ** (r + x) * (beta + big_t) ** s)
    assert alive == pytest.approx(float(alive_term / exact), rel=1e-8, abs=1e-300)


def test_count_distribution_is_a_distribution_with_the_right_mean(fitted: ParetoNBD) -> None:
    probabilities = [fitted.probability_of_purchases(k, 39.0) for k in range(300)]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-9)
    mean = sum(k * p for k, p in enumerate(probabilities))
    assert fitted.expected_purchases(39.0)[0] == pytest.approx(mean, rel=1e-6)


def test_recovers_simulated_parameters() -> None:
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    data = simulate_paretonbd(25_000, **truth, big_t=np.linspace(20, 80, 25_000), seed=7)
    within_standard_errors(ParetoNBD().fit(data), truth)


def test_many_purchases_and_long_histories_stay_finite(fitted: ParetoNBD) -> None:
    summary = {
        "frequency": [400, 1000, 0, 3],
        "recency": [99.0, 10.0, 0.0, 4000.0],
        "T": [100.0, 100.0, 5000.0, 5000.0],
    }
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        alive = fitted.probability_alive(summary)
        expected = fitted.conditional_expected_purchases(52.0, summary)
    assert np.all(np.isfinite(alive)) and np.all(np.isfinite(expected))
    assert alive[1] == 0.0 and alive[0] > 0.5
