"""Gamma-Gamma against Fader & Hardie (2013) on CDNOW, and against simulated data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.gammagamma import GammaGamma
from tenure.analytics.clv.simulate import simulate_gammagamma
from tenure.kit.errors import InvalidInput
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


def _with_free_buyers(cdnow: pl.DataFrame, k: int) -> tuple[pl.DataFrame, pl.Series]:
    """CDNOW where the first k repeat buyers' repeat purchases were all free."""
    free = cdnow.filter(pl.col("frequency") > 0)["customer_id"].head(k)
    zeroed = pl.when(pl.col("customer_id").is_in(free.implode())).then(0.0)
    spend = zeroed.otherwise(pl.col("monetary_value")).alias("monetary_value")
    return cdnow.with_columns(spend), free


def test_zero_valued_repeat_buyers_are_left_out_and_still_predicted(cdnow: pl.DataFrame) -> None:
    data, free = _with_free_buyers(cdnow, 5)
    model = GammaGamma().fit(data)
    rest = GammaGamma().fit(data.filter(~pl.col("customer_id").is_in(free.implode())))
    assert model.params_ == rest.params_  # the free buyers do not touch the fit
    assert model.n_customers_ == 941
    assert model.left_out_ == {"no_repeat_purchase": 2357 - 946, "zero_spend": 5}
    assert model.summary()["left_out"] == model.left_out_
    p, q, v = model.params_["p"], model.params_["q"], model.params_["v"]
    spend = model.conditional_expected_spend(data)
    is_free = data["customer_id"].is_in(free.implode()).to_numpy()
    x = data["frequency"].to_numpy()[is_free]
    # the posterior mean at m̄ = 0 ...
    np.testing.assert_allclose(spend[is_free], p * v / (p * x + q - 1), rtol=1e-12)
    # ... is the limit of a tiny positive average, and below the prior mean pγ/(q−1)
    tiny = data.with_columns(pl.col("monetary_value").replace(0.0, 1e-9))
    np.testing.assert_allclose(spend[is_free], model.conditional_expected_spend(tiny)[is_free])
    assert np.all(spend[is_free] < model.population_mean_spend())
    no_repeat = data["frequency"].to_numpy() == 0
    assert np.all(spend[no_repeat] == model.population_mean_spend())


def test_nothing_to_fit_says_why(cdnow: pl.DataFrame) -> None:
    free = cdnow.with_columns(pl.lit(0.0).alias("monetary_value"))
    with pytest.raises(InvalidInput, match=r"monetary_value > 0 \(1411 without .*, 946 whose"):
        GammaGamma().fit(free)
    with pytest.raises(ValueError, match="not fitted"):
        GammaGamma().conditional_expected_spend(cdnow)
