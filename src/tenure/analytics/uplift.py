"""Did a playbook work? Treated against holdout, with honest intervals.

Pure statistics on numbers the automation domain counts: no store, no dates. Everything is
intent-to-treat — a customer assigned to the treated group counts there whether or not a step
reached them — so the comparison stays randomised.

- ``rate_difference``: the goal rate of each group, their difference with Newcombe's hybrid
  score interval (method 10 of Newcombe 1998, good at small counts and rates near 0 or 1,
  where the textbook Wald interval fails), and the relative lift.
- ``mean_difference``: revenue or margin per customer, Welch's interval (unequal variances:
  a playbook changes the spread of spend as well as its mean).
- ``cuped``: the same difference with the variance a pre-enrollment covariate explains removed
  (CUPED, Deng et al. 2013) — Tenure's own predictions (P(alive), expected purchases) make
  good covariates. Unbiased because the covariate is fixed before assignment.
- ``sample_ratio``: does the holdout hold its share? A mismatch means the assignment or the
  counting is broken, and no estimate should be trusted.
- ``customers_needed``: how many customers a comparison needs to detect a chosen difference.

Intervals and power come from statsmodels (a maintained library of the field), not our code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

CONFIDENCE = 0.95
# below this p-value the split is called broken: strict, since the check runs on every report
SAMPLE_RATIO_ALARM = 0.001


@dataclass(frozen=True)
class Difference:
    """Treated minus holdout, with its interval at ``confidence``."""

    treated: float
    holdout: float
    difference: float
    low: float
    high: float
    confidence: float

    @property
    def relative_lift(self) -> float | None:
        """The difference as a share of the holdout's figure (None when that is zero)."""
        return self.difference / self.holdout if self.holdout else None

    @property
    def clear(self) -> bool:
        """Whether the interval excludes no difference at all."""
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, float | None]:
        """Return the figures as plain data, the relative lift with them."""
        return {
            "treated": self.treated,
            "holdout": self.holdout,
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "relative_lift": self.relative_lift,
        }


def rate_difference(
    treated_goals: int,
    treated: int,
    holdout_goals: int,
    holdout: int,
    confidence: float = CONFIDENCE,
) -> Difference | None:
    """Goal rates and their difference with Newcombe's interval; None without both groups."""
    _check_counts(treated_goals, treated, "treated")
    _check_counts(holdout_goals, holdout, "holdout")
    if treated == 0 or holdout == 0:
        return None
    low, high = confint_proportions_2indep(
        treated_goals,
        treated,
        holdout_goals,
        holdout,
        method="newcomb",
        compare="diff",
        alpha=1 - confidence,
    )
    p_treated, p_holdout = treated_goals / treated, holdout_goals / holdout
    return Difference(
        p_treated, p_holdout, p_treated - p_holdout, float(low), float(high), confidence
    )


def mean_difference(
    treated: ArrayLike, holdout: ArrayLike, confidence: float = CONFIDENCE
) -> Difference | None:
    """Means per customer and their difference with Welch's interval; None below 2 per group."""
    a, b = _values(treated), _values(holdout)
    if a.size < 2 or b.size < 2:
        return None
    compared = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    if compared.d1.std == 0 and compared.d2.std == 0:  # no spread: the difference is exact
        low = high = float(a.mean() - b.mean())
    else:
        low, high = compared.tconfint_diff(alpha=1 - confidence, usevar="unequal")
    return Difference(
        float(a.mean()),
        float(b.mean()),
        float(a.mean() - b.mean()),
        float(low),
        float(high),
        confidence,
    )


@dataclass(frozen=True)
class Adjusted:
    """A difference with a covariate's variance removed, and how much it narrowed."""

    difference: Difference
    theta: float
    variance_reduction: float  # the share of the outcome's variance the covariate explained


def cuped(
    treated: ArrayLike,
    treated_before: ArrayLike,
    holdout: ArrayLike,
    holdout_before: ArrayLike,
    confidence: float = CONFIDENCE,
) -> Adjusted | None:
    """CUPED: outcome minus θ·(covariate − its mean), θ from both groups pooled.

    ``*_before`` are values known before enrollment (a prediction made at entry, last
    quarter's spend), one per customer in the same order as the outcomes.
    """
    y_t, x_t, y_h, x_h = (_values(v) for v in (treated, treated_before, holdout, holdout_before))
    if y_t.size != x_t.size or y_h.size != x_h.size:
        raise ValueError("each outcome needs its covariate: the lengths differ")
    if y_t.size < 2 or y_h.size < 2:
        return None
    y, x = np.concatenate([y_t, y_h]), np.concatenate([x_t, x_h])
    spread = float(np.var(x, ddof=1))
    if spread == 0:  # a constant covariate explains nothing
        theta, explained = 0.0, 0.0
    else:
        theta = float(np.cov(x, y, ddof=1)[0, 1] / spread)
        r = np.corrcoef(x, y)[0, 1] if np.var(y) > 0 else 0.0
        explained = float(r * r)
    centre = float(x.mean())
    adjusted = mean_difference(
        y_t - theta * (x_t - centre), y_h - theta * (x_h - centre), confidence
    )
    if adjusted is None:
        return None
    # the adjusted group means are shifted by θ: report the outcome's own means beside them
    shown = Difference(
        float(y_t.mean()),
        float(y_h.mean()),
        adjusted.difference,
        adjusted.low,
        adjusted.high,
        confidence,
    )
    return Adjusted(shown, theta, explained)


@dataclass(frozen=True)
class SampleRatio:
    """The holdout's share as assigned against as expected."""

    expected_share: float
    observed_share: float
    p_value: float

    @property
    def broken(self) -> bool:
        """Whether the split is too far from its share to be chance."""
        return self.p_value < SAMPLE_RATIO_ALARM

    def as_dict(self) -> dict[str, float | bool]:
        """Return the check as plain data, its verdict with it."""
        return {
            "expected_share": self.expected_share,
            "observed_share": self.observed_share,
            "p_value": self.p_value,
            "broken": self.broken,
        }


def sample_ratio(treated: int, holdout: int, holdout_share: float) -> SampleRatio | None:
    """Test the split against the holdout share (chi-square); None with nobody assigned."""
    if not 0 < holdout_share < 1:
        raise ValueError(f"holdout_share: {holdout_share} is not between 0 and 1")
    if treated < 0 or holdout < 0:
        raise ValueError("group sizes cannot be negative")
    total = treated + holdout
    if total == 0:
        return None
    expected = [total * (1 - holdout_share), total * holdout_share]
    p_value = float(stats.chisquare([treated, holdout], f_exp=expected).pvalue)
    return SampleRatio(holdout_share, holdout / total, p_value)


def customers_needed(
    base_rate: float,
    detectable_difference: float,
    holdout_share: float,
    *,
    power: float = 0.8,
    confidence: float = CONFIDENCE,
) -> int:
    """Return how many to enroll (both groups) to detect ``detectable_difference`` in a rate.

    Two-sided test at ``1 - confidence`` with Cohen's arcsine effect size, the holdout taking
    ``holdout_share`` of those enrolled.
    """
    if not 0 < base_rate < 1:
        raise ValueError(f"base_rate: {base_rate} is not between 0 and 1")
    target = base_rate + detectable_difference
    if detectable_difference == 0 or not 0 < target < 1:
        raise ValueError(
            f"detectable_difference: {detectable_difference} does not leave a rate in (0, 1)"
        )
    if not 0 < holdout_share < 1:
        raise ValueError(f"holdout_share: {holdout_share} is not between 0 and 1")
    effect = abs(proportion_effectsize(target, base_rate))
    ratio = holdout_share / (1 - holdout_share)  # holdout size per treated customer
    treated = NormalIndPower().solve_power(
        effect_size=effect, alpha=1 - confidence, power=power, ratio=ratio
    )
    return math.ceil(treated) + math.ceil(treated * ratio)


def customers_needed_for_mean(
    spread: float,
    detectable_difference: float,
    holdout_share: float,
    *,
    power: float = 0.8,
    confidence: float = CONFIDENCE,
) -> int:
    """Return how many to enroll (both groups) to detect ``detectable_difference`` in a mean.

    Two-sided test at ``1 - confidence`` of a difference of means whose values spread with the
    standard deviation ``spread`` (normal approximation, as for the rates), the holdout taking
    ``holdout_share`` of those enrolled.
    """
    if not spread > 0:
        raise ValueError(f"spread: {spread} is not above 0")
    if not detectable_difference > 0:
        raise ValueError(f"detectable_difference: {detectable_difference} is not above 0")
    if not 0 < holdout_share < 1:
        raise ValueError(f"holdout_share: {holdout_share} is not between 0 and 1")
    ratio = holdout_share / (1 - holdout_share)
    treated = NormalIndPower().solve_power(
        effect_size=detectable_difference / spread,
        alpha=1 - confidence,
        power=power,
        ratio=ratio,
    )
    return math.ceil(treated) + math.ceil(treated * ratio)


def _check_counts(goals: int, size: int, group: str) -> None:
    if size < 0 or goals < 0 or goals > size:
        raise ValueError(f"{group}: {goals} goals out of {size} customers is not a count")


def _values(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError("values must be finite numbers")
    return array
