"""Health score: weighted signals, bands and the weakest signals as reasons."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tenure.analytics.health import HealthParams, health

BASE = {
    "purchase_days": 5,
    "frequency": 4,
    "overdue_ratio": 0.8,
    "days_since_last": 10,
    "events_30": 10,
    "events_prior_30": 8,
    "last_nps": 9,
    "complaints_90": 0,
    "p_alive": 0.95,
}


def one(**changes: object) -> dict[str, object]:
    frame = pl.DataFrame([{"customer_id": 1, **BASE, **changes}])
    return health(frame, HealthParams()).row(0, named=True)


def test_a_healthy_customer_is_green() -> None:
    row = one()
    assert row["health_band"] == "green" and row["health_score"] >= 90


def test_an_unhappy_overdue_customer_is_red_with_reasons() -> None:
    row = one(overdue_ratio=5.0, events_30=0, last_nps=2, complaints_90=3, p_alive=0.1)
    assert row["health_band"] == "red"
    assert set(json.loads(row["health_reasons"])) <= {
        "activity",
        "complaints",
        "p_alive",
        "nps",
        "recency",
    }
    assert json.loads(row["health_reasons"])[0] in ("activity", "complaints")  # both at 0


def test_weights_decide() -> None:
    only_nps = HealthParams(weights={"nps": 1.0})
    frame = pl.DataFrame([{"customer_id": 1, **BASE, "last_nps": 3, "p_alive": 1.0}])
    assert health(frame, only_nps)["health_score"][0] == pytest.approx(30.0)
    with pytest.raises(ValueError, match="unknown health signals"):
        health(frame, HealthParams(weights={"mood": 1.0}))


def test_no_purchase_no_health() -> None:
    row = one(purchase_days=0, frequency=0)
    assert row["health_score"] is None and row["health_band"] is None
