"""Monthly marketing spend per channel: leads bought × cost per lead, with noise."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from tenure.demo.config import DemoConfig
from tenure.demo.money import money
from tenure.demo.population import Population
from tenure.demo.timeline import start_of_history


def _months(first: date, last: date) -> list[tuple[date, date]]:
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        nxt = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        months.append((max(cursor, first), min(nxt - timedelta(days=1), last)))
        cursor = nxt
    return months


def spend_frame(rng: np.random.Generator, pop: Population, config: DemoConfig) -> pl.DataFrame:
    """Return one row per channel and month (channels without cost, like direct, are left out)."""
    start = start_of_history(config).date()
    months = _months(start, config.end)
    month_of = (
        np.searchsorted(np.array([(m[0] - start).days for m in months]), pop.acquired, side="right")
        - 1
    )
    rows = []
    for c_idx, channel in enumerate(config.channels):
        if channel.cost_per_lead <= 0:
            continue
        leads = np.bincount(month_of[pop.channel == c_idx], minlength=len(months))
        noise = rng.lognormal(0.0, 0.15, len(months))
        cents = np.round(leads * channel.cost_per_lead * noise * 100).astype(np.int64)
        for (m_start, m_end), amount in zip(months, cents, strict=True):
            rows.append((channel.key, m_start, m_end, amount))
    frame = pl.DataFrame(
        rows, schema=["channel", "period_start", "period_end", "cents"], orient="row"
    )
    return (
        frame.with_columns(
            money(frame["cents"].to_numpy()).alias("amount"), pl.lit("USD").alias("currency")
        )
        .drop("cents")
        .with_row_index("id", offset=1)
        .with_columns(pl.col("id").cast(pl.Int64))
    )
