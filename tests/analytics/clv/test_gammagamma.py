"""Gamma-Gamma against Fader & Hardie (2013) on CDNOW, and against simulated data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.gammagamma import GammaGamma
from tenure.analytics.clv.simulate import simulate_gammagamma
from tests.analytics.clv.conftest import within_standard_errors


def test_matches_the_published_cdnow_fit(cdnow: pl.DataFrame) -> None:
    model = GammaGamma().fit(cdnow)
    assert model.n_customers_ == 946
    for name, value in {"p": 6.2488, "q": 3.7446, "v": 15.4477}.items():
        assert model.params_[name] == pytest.approx(value, rel=0.005), name


def test_expected_spend_shrinks_towards_the_population_mean(cdnow: pl.DataFrame) -> None:
    model = GammaGamma().fit(cdnow)
    p, q, v = model.params_["p"], model.params_["q"], model.params_["v"]
    spend = model.conditional_expected_spend(cdnow)
    x, m = cdnow["frequency"].to_numpy(), cdnow["monetary_value"].to_numpy()
    population = p * v / (q - 1)
    weight = p * x / (p * x + q - 1)
    expected = np.where(x > 0, (1 - weight) * population + weight * m, population)
    np.testing.assert_allclose(spend, expected, rtol=1e-12)


def test_recovers_simulated_parameters() -> None:
    truth = {"p": 5.0, "q": 4.0, "v": 20.0}
    frequency = np.random.default_rng(1).integers(1, 15, 15_000)
    data = simulate_gammagamma(frequency, **truth, seed=2)
    within_standard_errors(GammaGamma().fit(data), truth)
