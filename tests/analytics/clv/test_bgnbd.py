"""BG/NBD against Fader, Hardie & Lee (2005) on CDNOW, and against data simulated from it."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.bgnbd import BetaGeo
from tenure.analytics.clv.simulate import simulate_bgnbd
from tests.analytics.clv.conftest import within_standard_errors

PUBLISHED = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}


@pytest.fixture(scope="module")
def fitted(cdnow: pl.DataFrame) -> BetaGeo:
    return BetaGeo().fit(cdnow)


def test_matches_the_published_cdnow_fit(fitted: BetaGeo) -> None:
    for name, value in PUBLISHED.items():
        assert fitted.params_[name] == pytest.approx(value, rel=0.005), name
    assert fitted.log_likelihood_ == pytest.approx(-9582.43, abs=0.05)
    assert fitted.converged_ and fitted.n_customers_ == 2357


def test_holdout_forecast_tracks_what_happened(fitted: BetaGeo, cdnow: pl.DataFrame) -> None:
    """Weeks 40–78: more calibration purchases, more holdout purchases, predicted and actual."""
    predicted = fitted.conditional_expected_purchases(39, cdnow)
    actual = cdnow["frequency_holdout"].to_numpy()
    frequency = cdnow["frequency"].to_numpy()
    assert abs(predicted.sum() / actual.sum() - 1) < 0.15
    groups = [f for f in range(7) if (frequency == f).sum() > 20]
    by_group = [predicted[frequency == f].mean() for f in groups]
    actual_by_group = [actual[frequency == f].mean() for f in groups]
    assert np.all(np.diff(by_group) > 0) and np.all(np.diff(actual_by_group) > 0)
    np.testing.assert_allclose(by_group, actual_by_group, rtol=0.35)


def test_predictions_agree_with_high_precision_arithmetic(fitted: BetaGeo) -> None:
    r, alpha, a, b = (mpmath.mpf(fitted.params_[k]) for k in ("r", "alpha", "a", "b"))
    for x, t_x, big_t, t in ((2, 30.43, 38.86, 39.0), (0, 0.0, 38.86, 10.0), (25, 37.0, 38.5, 52)):
        xm, txm, tm, tt = (mpmath.mpf(v) for v in (x, t_x, big_t, t))
        odds = a / (b + xm - 1) * ((alpha + tm) / (alpha + txm)) ** (r + xm) if x > 0 else 0
        alive = 1 / (1 + odds)
        z = tt / (alpha + tm + tt)
        hyp = mpmath.hyp2f1(r + xm, b + xm, a + b + xm - 1, z)
        expected = (
            (a + b + xm - 1)
            / (a - 1)
            * (1 - ((alpha + tm) / (alpha + tm + tt)) ** (r + xm) * hyp)
            * alive
        )
        summary = {"frequency": [x], "recency": [t_x], "T": [big_t]}
        assert fitted.probability_alive(summary)[0] == pytest.approx(float(alive), rel=1e-10)
        assert fitted.conditional_expected_purchases(t, summary)[0] == pytest.approx(
            float(expected), rel=1e-9
        )


def test_purchase_count_distribution_sums_to_one(fitted: BetaGeo) -> None:
    total = sum(fitted.probability_of_purchases(k, 39.0) for k in range(200))
    assert total == pytest.approx(1.0, abs=1e-6)
    # the unconditional expectation is the mean of that distribution
    mean = sum(k * fitted.probability_of_purchases(k, 39.0) for k in range(400))
    assert fitted.expected_purchases(39.0)[0] == pytest.approx(mean, rel=1e-5)


def test_recovers_simulated_parameters() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    data = simulate_bgnbd(20_000, **truth, big_t=np.linspace(30, 60, 20_000), seed=4)
    within_standard_errors(BetaGeo().fit(data), truth)


@pytest.mark.parametrize(
    ("x", "t_x", "big_t"),
    [(1000, 10.0, 100.0), (300, 99.0, 100.0), (0, 0.0, 5000.0), (5, 4000.0, 5000.0)],
)
def test_extreme_customers_give_clean_numbers(
    fitted: BetaGeo, x: int, t_x: float, big_t: float
) -> None:
    summary = {"frequency": [x], "recency": [t_x], "T": [big_t]}
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        alive = fitted.probability_alive(summary)[0]
        expected = fitted.conditional_expected_purchases(52.0, summary)[0]
    assert np.isfinite(alive) and np.isfinite(expected) and expected >= 0
    if (x, t_x) == (1000, 10.0):
        assert alive == 0.0


def test_a_plus_b_below_one_is_fine() -> None:
    model = BetaGeo()
    model.params_ = {"r": 0.3, "alpha": 3.0, "a": 0.3, "b": 0.5}
    summary = {"frequency": [0, 3, 40], "recency": [0.0, 10.0, 30.0], "T": [40.0, 40.0, 40.0]}
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        values = model.conditional_expected_purchases(20.0, summary)
        unconditional = model.expected_purchases([1.0, 10.0, 100.0])
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(unconditional))
    assert np.all(np.diff(unconditional) > 0)


def test_a_fit_without_dropout_heterogeneity_gives_clean_numbers() -> None:
    """a and b in the tens of thousands (seen on a 500-customer shop): the power in the tail
    underflowed to 0 and the hypergeometric function overflowed, 0 · inf = NaN."""
    model = BetaGeo()
    params = {"r": 0.205, "alpha": 2.166, "a": 47227.9, "b": 6146405.5}
    model.params_ = params
    summary = {"frequency": [0, 2, 9], "recency": [0.0, 20.0, 50.0], "T": [52.0, 52.0, 52.0]}
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        values = model.conditional_expected_purchases(52.0, summary)
        unconditional = model.expected_purchases([52.0])
    r, alpha, a, b = (mpmath.mpf(params[k]) for k in ("r", "alpha", "a", "b"))
    mpmath.mp.dps = 40
    for x, t_x, big_t, value in zip([0, 2, 9], [0, 20, 50], [52, 52, 52], values, strict=True):
        z = mpmath.mpf(52) / (alpha + big_t + 52)
        # (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b+x−1; z) = (1−z)^(r+x) 2F1(r+x, b+x; a+b+x−1; z),
        # the series summed term by term at 40 digits (mpmath's own hyp2f1 takes minutes here)
        tail = (1 - z) ** (r + x) * _series(r + x, b + x, a + b + x - 1, z)
        if_alive = (a + b + x - 1) / (a - 1) * (1 - tail)
        xm = max(x, 1)
        odds = (a / (b + xm - 1)) * ((alpha + big_t) / (alpha + t_x)) ** (r + x) if x else 0
        expected = if_alive / (1 + odds)
        assert value == pytest.approx(float(expected), rel=1e-6)
    assert np.isfinite(unconditional).all() and unconditional[0] > 0


def _series(a: object, b: object, c: object, z: object) -> object:
    """Σ (a)_n (b)_n / ((c)_n n!) z^n in mpmath, until the terms no longer count."""
    term, total, n = mpmath.mpf(1), mpmath.mpf(1), 0
    while abs(term) > mpmath.mpf(10) ** -35 * abs(total):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z  # type: ignore[operator]
        total += term
        n += 1
    return total


def test_both_forms_of_the_tail_agree_where_both_are_finite() -> None:
    from scipy import special

    from tenure.analytics.clv.special import hyp2f1_euler, scaled_hyp2f1_euler

    z = np.array([0.05, 0.3, 0.6, 0.9])
    for r, x, a, b in ((0.24, 0.0, 0.79, 2.43), (0.5, 3.0, 30.0, 400.0), (1.2, 12.0, 80.0, 9e3)):
        direct = (1 - z) ** (a - 1) * hyp2f1_euler(r + x, b + x, a + b + x - 1, z)
        other = (1 - z) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        assert direct == pytest.approx(other, rel=1e-9)
        assert scaled_hyp2f1_euler(r + x, b + x, a + b + x - 1, z) == pytest.approx(direct)


def test_unfitted_model_says_so() -> None:
    with pytest.raises(ValueError, match="not fitted yet"):
        BetaGeo().probability_alive({"frequency": [0], "recency": [0.0], "T": [1.0]})
