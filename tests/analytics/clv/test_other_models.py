"""MBG/NBD, sBG and BG/BB: published tables where the data are public, recovery everywhere."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.bgbb import BetaGeoBetaBinom
from tenure.analytics.clv.mbgnbd import ModifiedBetaGeo
from tenure.analytics.clv.sbg import ShiftedBetaGeo
from tenure.analytics.clv.simulate import simulate_bgbb, simulate_mbgnbd, simulate_sbg
from tenure.kit.errors import InvalidInput
from tests.analytics.clv.conftest import within_standard_errors

# Fader & Hardie (2007), "How to Project Customer Retention", table 1: customers of two
# segments still active at the start of years 0–7, and the fitted sBG parameters.
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.mark.parametrize(
    ("active", "alpha", "beta"), [(HIGH_END, 0.668, 3.806), (REGULAR, 0.704, 1.182)]
)
def test_sbg_matches_fader_hardie_2007(active: list[int], alpha: float, beta: float) -> None:
    model = ShiftedBetaGeo().fit(active)
    assert model.params_["alpha"] == pytest.approx(alpha, rel=0.005)
    assert model.params_["beta"] == pytest.approx(beta, rel=0.005)
    # the projected survival curve passes close to the observed one
    observed = np.array(active[1:]) / active[0]
    np.testing.assert_allclose(model.survival(np.arange(1, 8)), observed, atol=0.02)
    rates = model.retention_rate(np.arange(1, 13))
    assert np.all(np.diff(rates) > 0)  # retention rises as the weak leave first


def test_sbg_recovers_simulated_parameters_and_values_contracts() -> None:
    truth = {"alpha": 1.2, "beta": 3.0}
    model = ShiftedBetaGeo().fit(simulate_sbg(50_000, **truth, periods=10, seed=3))
    within_standard_errors(model, truth)
    # DERL is the discounted sum of future survival given survival so far
    derl = model.discounted_expected_residual_lifetime(0, 0.1)[0]
    s = model.survival(np.arange(1, 2000))
    assert derl == pytest.approx(np.sum(s / 1.1 ** np.arange(0, 1999)), rel=1e-6)
    assert model.customer_lifetime_value(50.0, 0, 0.1)[0] == pytest.approx(50 * derl)


def test_sbg_refuses_rising_counts() -> None:
    with pytest.raises(InvalidInput, match="never rising"):
        ShiftedBetaGeo().fit([100, 90, 95])


def test_mbgnbd_recovers_simulated_parameters() -> None:
    truth = {"r": 0.6, "alpha": 5.0, "a": 1.2, "b": 3.0}
    data = simulate_mbgnbd(25_000, **truth, big_t=np.linspace(40, 80, 25_000), seed=5)
    model = ModifiedBetaGeo().fit(data)
    within_standard_errors(model, truth)
    # a customer with no repeat purchase is not certainly alive, unlike BG/NBD
    assert model.probability_alive({"frequency": [0], "recency": [0.0], "T": [50.0]})[0] < 1


def test_mbgnbd_on_cdnow_expectations_add_up(cdnow: pl.DataFrame) -> None:
    model = ModifiedBetaGeo().fit(cdnow)
    assert model.converged_
    expected = model.expected_purchases([10.0, 39.0, 78.0])
    assert np.all(np.diff(expected) > 0)
    conditional = model.conditional_expected_purchases(39.0, cdnow)
    assert np.all(conditional >= 0) and np.all(np.isfinite(conditional))


@pytest.fixture(scope="module")
def bgbb() -> tuple[BetaGeoBetaBinom, pl.DataFrame]:
    # the parameters Fader, Hardie & Shang (2010) report for their donation data
    data = simulate_bgbb(20_000, 1.204, 0.750, 0.657, 2.783, opportunities=6, seed=11)
    return BetaGeoBetaBinom().fit(data), data


def test_bgbb_recovers_simulated_parameters(bgbb: tuple[BetaGeoBetaBinom, pl.DataFrame]) -> None:
    within_standard_errors(bgbb[0], {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})


def test_bgbb_predictions_are_consistent(bgbb: tuple[BetaGeoBetaBinom, pl.DataFrame]) -> None:
    model, data = bgbb
    probabilities = [model.probability_of_purchases(k, 6) for k in range(7)]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-12)
    assert model.expected_purchases(6)[0] == pytest.approx(
        sum(k * p for k, p in enumerate(probabilities)), rel=1e-10
    )
    # the fitted model reproduces the observed frequency distribution
    observed = np.bincount(data["frequency"].to_numpy(), minlength=7) / data.height
    np.testing.assert_allclose(probabilities, observed, atol=0.01)
    alive = model.probability_alive(data)
    assert np.all((alive > 0) & (alive <= 1))
    future = model.conditional_expected_purchases(5, data)
    frequent = data["frequency"].to_numpy() == 6
    assert future[frequent].mean() > future[~frequent].mean()
