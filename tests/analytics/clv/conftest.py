"""The CDNOW sample (Fader, Hardie & Lee 2005), summarised as in the papers: weeks, calibration
1997-01-01 to 1997-09-30, holdout to 1998-06-30."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.summary import summarize
from tests.conftest import DATA


def _parse() -> pl.DataFrame:
    rows = [
        line.split()
        for line in (DATA / "CDNOW_sample.txt").read_text().splitlines()
        if line.strip()
    ]
    return pl.DataFrame(
        {
            "customer_id": [r[1] for r in rows],
            "date": [r[2] for r in rows],
            "cds": [int(r[3]) for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    ).with_columns(pl.col("date").str.to_date("%Y%m%d"))


@pytest.fixture(scope="session")
def cdnow_transactions() -> pl.DataFrame:
    return _parse()


@pytest.fixture(scope="session")
def cdnow(cdnow_transactions: pl.DataFrame) -> pl.DataFrame:
    return summarize(
        cdnow_transactions,
        customer_col="customer_id",
        date_col="date",
        amount_col="amount",
        calibration_end=date(1997, 9, 30),
        observation_end=date(1998, 6, 30),
        unit="W",
    )


def within_standard_errors(model: object, truth: dict[str, float], k: float = 3.0) -> None:
    """Every estimate lies within k standard errors of the parameter it was simulated from."""
    params = model.params_  # type: ignore[attr-defined]
    errors = model.standard_errors_  # type: ignore[attr-defined]
    for name, value in truth.items():
        assert np.isfinite(errors[name]), name
        assert abs(params[name] - value) <= k * errors[name], (
            f"{name}: estimate {params[name]:.4f} vs truth {value} (SE {errors[name]:.4f})"
        )
