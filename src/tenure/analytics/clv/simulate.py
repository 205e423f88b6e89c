"""Draw customer summaries from the models' own stories, for parameter-recovery checks."""

from __future__ import annotations

import numpy as np
import polars as pl


def _observation_lengths(n: int, big_t: float | np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(big_t, dtype=np.float64), (n,)).copy()


def _geometric_story(
    rng: np.random.Generator,
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    big_t: float | np.ndarray,
    *,
    die_at_start: bool,
) -> pl.DataFrame:
    """BG/NBD (and MBG/NBD with ``die_at_start``): death by coin flip after purchases."""
    lengths = _observation_lengths(n, big_t)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    now = np.zeros(n)
    x = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    if die_at_start:
        alive &= rng.random(n) >= p
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1.0 / lam[idx])
        inside = now[idx] <= lengths[idx]
        buyers = idx[inside]
        x[buyers] += 1
        recency[buyers] = now[buyers]
        alive[idx[~inside]] = False
        alive[buyers] = rng.random(buyers.size) >= p[buyers]
    return pl.DataFrame({"frequency": x, "recency": recency, "T": lengths})


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, big_t: float | np.ndarray, seed: int = 0
) -> pl.DataFrame:
    """Summaries of ``n`` customers following BG/NBD with the given parameters."""
    return _geometric_story(
        np.random.default_rng(seed), n, r, alpha, a, b, big_t, die_at_start=False
    )


def simulate_mbgnbd(
    n: int, r: float, alpha: float, a: float, b: float, big_t: float | np.ndarray, seed: int = 0
) -> pl.DataFrame:
    """Summaries following MBG/NBD (a customer may also leave right after the first purchase)."""
    return _geometric_story(
        np.random.default_rng(seed), n, r, alpha, a, b, big_t, die_at_start=True
    )


def simulate_paretonbd(
    n: int, r: float, alpha: float, s: float, beta: float, big_t: float | np.ndarray, seed: int = 0
) -> pl.DataFrame:
    """Summaries following Pareto/NBD: Poisson purchases until an exponential lifetime ends."""
    rng = np.random.default_rng(seed)
    lengths = _observation_lengths(n, big_t)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    active = np.minimum(rng.exponential(1.0 / mu), lengths)
    x = rng.poisson(lam * active)
    # The last of x uniform points on (0, active) is active · U^(1/x).
    recency = np.where(x > 0, active * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    return pl.DataFrame({"frequency": x, "recency": recency, "T": lengths})


def simulate_gammagamma(
    frequency: np.ndarray, p: float, q: float, v: float, seed: int = 0
) -> pl.DataFrame:
    """Average spend of customers with the given repeat ``frequency`` under Gamma-Gamma."""
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=np.int64)
    nu = rng.gamma(q, 1.0 / v, x.size)
    safe = np.maximum(x, 1)
    # The mean of x Gamma(p, ν) draws is Gamma(p·x, rate x·ν).
    m = np.where(x > 0, rng.gamma(p * safe, 1.0 / (safe * nu)), 0.0)
    return pl.DataFrame({"frequency": x, "monetary_value": m})


def simulate_sbg(n: int, alpha: float, beta: float, periods: int, seed: int = 0) -> np.ndarray:
    """Count the customers of a cohort of ``n`` still alive at the start of periods 0..periods."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)  # the period in which each customer leaves (1, 2, ...)
    return np.array([(lifetime > t).sum() for t in range(periods + 1)])


def simulate_bgbb(
    n: int, alpha: float, beta: float, gamma: float, delta: float, opportunities: int, seed: int = 0
) -> pl.DataFrame:
    """(frequency, recency, n) of customers with discrete purchase opportunities (BG/BB).

    At the start of each opportunity a living customer leaves with probability θ; if still
    alive, they buy with probability p. Recency is the opportunity of the last purchase.
    """
    rng = np.random.default_rng(seed)
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    alive = np.ones(n, dtype=bool)
    x = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n, dtype=np.int64)
    for t in range(1, opportunities + 1):
        alive &= rng.random(n) >= theta
        buys = alive & (rng.random(n) < p)
        x += buys
        recency[buys] = t
    return pl.DataFrame(
        {"frequency": x, "recency": recency, "n": np.full(n, opportunities, dtype=np.int64)}
    )
