"""Continuous time in days since the start of the simulated history, and its seasons."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import polars as pl

from tenure.demo.config import DemoConfig

DAY_US = 86_400_000_000


def start_of_history(config: DemoConfig) -> datetime:
    """Return the first instant of the simulated history (UTC midnight).

    The history is ``config.days`` whole days ending with the end day itself, so a run as of
    the end day sees all of it.
    """
    return datetime.combine(config.end - timedelta(days=config.days - 1), time.min, tzinfo=UTC)


def season(t: np.ndarray, config: DemoConfig) -> np.ndarray:
    """Return the demand multiplier at day ``t``: a winter high and a November sales spike."""
    start = start_of_history(config)
    doy = (start.timetuple().tm_yday + t) % 365.25
    winter = 0.18 * np.cos(2 * np.pi * (doy - 350) / 365.25)
    spike = 0.6 * np.exp(-(((doy - 325) / 9.0) ** 2))
    return 1.0 + winter + spike


SEASON_MAX = 1.8


def to_timestamps(t: np.ndarray, config: DemoConfig) -> pl.Series:
    """Turn days since the start into UTC timestamps (microseconds); NaN becomes null."""
    start_us = int(start_of_history(config).timestamp() * 1_000_000)
    missing = np.isnan(t)
    micros = (start_us + np.floor(np.where(missing, 0.0, t) * DAY_US)).astype(np.int64)
    series = pl.Series(micros).cast(pl.Datetime("us", "UTC"))
    if missing.any():
        series = pl.select(pl.when(pl.Series(missing)).then(None).otherwise(series)).to_series()
    return series


def thin(
    rng: np.random.Generator,
    owner: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    rate: np.ndarray,
    config: DemoConfig,
    *,
    seasonal: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a Poisson process on each interval [start, end) with the given rates.

    Returns (owner index, time) of every point. Seasonality is added by thinning: draw at
    the peak rate, keep each point with probability season(t) / peak.
    """
    length = np.clip(end - start, 0.0, None)
    peak = SEASON_MAX if seasonal else 1.0
    counts = rng.poisson(rate * length * peak)
    idx = np.repeat(np.arange(len(owner)), counts)
    t = start[idx] + rng.random(idx.size) * length[idx]
    if seasonal:
        keep = rng.random(idx.size) * peak < season(t, config)
        idx, t = idx[keep], t[keep]
    return owner[idx], t
