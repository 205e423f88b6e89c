"""The uplift statistics against published tables, an independent computation and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tenure.analytics import uplift

# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17, 873-890, Table II, method 10
# (the hybrid score interval), examples (a) to (f).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_the_rate_interval_is_newcombes_table_ii(
    counts: tuple[int, int, int, int], published: tuple[float, float]
) -> None:
    found = uplift.rate_difference(*counts)
    assert found is not None
    assert (round(found.low, 4), round(found.high, 4)) == published
    assert found.difference == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])


def test_rates_need_both_groups_and_real_counts() -> None:
    assert uplift.rate_difference(3, 10, 0, 0) is None
    with pytest.raises(ValueError, match="holdout: 5 goals out of 4"):
        uplift.rate_difference(1, 10, 5, 4)
    lift = uplift.rate_difference(30, 100, 20, 100)
    assert lift is not None and lift.relative_lift == pytest.approx(0.5)
    assert uplift.rate_difference(3, 10, 0, 10) is not None
    none_back = uplift.rate_difference(3, 10, 0, 10)
    assert none_back is not None and none_back.relative_lift is None


def test_the_mean_interval_is_welchs() -> None:
    rng = np.random.default_rng(7)
    treated, holdout = rng.gamma(2.0, 60.0, 900), rng.gamma(2.0, 50.0, 110)
    found = uplift.mean_difference(treated, holdout)
    assert found is not None
    # computed independently: scipy's Welch t-test and its interval
    welch = stats.ttest_ind(treated, holdout, equal_var=False).confidence_interval(0.95)
    assert found.low == pytest.approx(welch.low) and found.high == pytest.approx(welch.high)
    assert found.difference == pytest.approx(treated.mean() - holdout.mean())
    assert uplift.mean_difference([1.0], [2.0, 3.0]) is None
    flat = uplift.mean_difference([5.0, 5.0], [3.0, 3.0])
    assert flat is not None and (flat.low, flat.high) == (2.0, 2.0)
    with pytest.raises(ValueError, match="finite"):
        uplift.mean_difference([1.0, float("nan")], [1.0, 2.0])


def _covered(found: uplift.Difference | None, truth: float) -> bool:
    assert found is not None
    return found.low <= truth <= found.high


def test_rate_intervals_cover_the_true_difference_about_95_in_100() -> None:
    rng = np.random.default_rng(11)
    truth, runs = 0.05, 1000
    treated = rng.binomial(900, 0.30, runs)
    holdout = rng.binomial(100, 0.25, runs)
    covered = sum(
        _covered(uplift.rate_difference(int(t), 900, int(h), 100), truth)
        for t, h in zip(treated, holdout, strict=True)
    )
    # 1,000 runs: 95% ± 1.4% is three standard errors
    assert 0.936 <= covered / runs <= 0.964


def test_cuped_keeps_the_truth_and_narrows_the_interval() -> None:
    rng = np.random.default_rng(5)
    truth, runs, covered, raw_widths, cuped_widths, explained = 4.0, 400, 0, [], [], []
    for _ in range(runs):
        before_t, before_h = rng.normal(100, 20, 600), rng.normal(100, 20, 200)
        after_t = 10 + 0.8 * before_t + truth + rng.normal(0, 10, 600)
        after_h = 10 + 0.8 * before_h + rng.normal(0, 10, 200)
        adjusted = uplift.cuped(after_t, before_t, after_h, before_h)
        raw = uplift.mean_difference(after_t, after_h)
        assert adjusted is not None and raw is not None
        covered += _covered(adjusted.difference, truth)
        raw_widths.append(raw.high - raw.low)
        cuped_widths.append(adjusted.difference.high - adjusted.difference.low)
        explained.append(adjusted.variance_reduction)
    assert 0.92 <= covered / runs <= 0.98  # 400 runs: three standard errors
    # the covariate explains 0.8²·20² / (0.8²·20² + 10²) = 0.719 of the outcome's variance
    assert float(np.mean(explained)) == pytest.approx(256 / 356, abs=0.02)
    narrowing = float(np.mean(cuped_widths) / np.mean(raw_widths))
    assert narrowing == pytest.approx(math.sqrt(1 - 256 / 356), abs=0.03)


def test_cuped_needs_a_covariate_per_customer() -> None:
    with pytest.raises(ValueError, match="lengths differ"):
        uplift.cuped([1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0])
    constant = uplift.cuped([1.0, 3.0], [5.0, 5.0], [1.0, 2.0], [5.0, 5.0])
    assert constant is not None and constant.theta == 0.0 and constant.variance_reduction == 0.0


def test_the_sample_ratio_check_finds_a_broken_split() -> None:
    fair = uplift.sample_ratio(9_020, 980, 0.10)
    assert fair is not None and not fair.broken and fair.observed_share == pytest.approx(0.098)
    # the statistic by hand: Σ (observed − expected)² / expected, one degree of freedom
    statistic = (9_020 - 9_000) ** 2 / 9_000 + (980 - 1_000) ** 2 / 1_000
    assert fair.p_value == pytest.approx(stats.chi2.sf(statistic, 1))
    broken = uplift.sample_ratio(9_300, 700, 0.10)
    assert broken is not None and broken.broken
    assert uplift.sample_ratio(0, 0, 0.1) is None
    with pytest.raises(ValueError, match="holdout_share"):
        uplift.sample_ratio(10, 1, 1.5)


def test_customers_needed_is_the_normal_approximation_and_gives_that_power() -> None:
    needed = uplift.customers_needed(0.20, 0.05, 0.10)
    # by hand: n_treated = (z_α/2 + z_β)² (1 + 1/k) / h², k = holdout per treated customer
    h = 2 * math.asin(math.sqrt(0.25)) - 2 * math.asin(math.sqrt(0.20))
    k = 0.1 / 0.9
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    treated = z**2 * (1 + 1 / k) / h**2
    assert needed == math.ceil(treated) + math.ceil(treated * k)
    # and simulated: with that many customers a real 5-point lift is found about 80% of times
    rng = np.random.default_rng(3)
    n_t, n_h = math.ceil(treated), math.ceil(treated * k)
    runs = 2_000
    t, c = rng.binomial(n_t, 0.25, runs) / n_t, rng.binomial(n_h, 0.20, runs) / n_h
    h_hat = 2 * np.arcsin(np.sqrt(t)) - 2 * np.arcsin(np.sqrt(c))
    found = np.abs(h_hat) / math.sqrt(1 / n_t + 1 / n_h) > stats.norm.ppf(0.975)
    assert 0.77 <= float(found.mean()) <= 0.83
    with pytest.raises(ValueError, match="detectable_difference"):
        uplift.customers_needed(0.9, 0.2, 0.1)
