"""Exact money columns from integer cents."""

from __future__ import annotations

import numpy as np
import polars as pl

MONEY = pl.Decimal(18, 2)


def money(cents: np.ndarray) -> pl.Series:
    """Return a Decimal(18, 2) series for integer ``cents`` (exact, no float rounding)."""
    return (pl.Series(cents.astype(np.int64)).cast(MONEY) / 100).cast(MONEY)
