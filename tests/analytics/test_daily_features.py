"""The day-by-day feature walk equals compute_features() on every day it yields."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tenure.analytics.daily_features import daily_features
from tenure.analytics.features import (
    EMPTY_SCHEMAS,
    EPOCH,
    FeatureParams,
    compute_features,
    cut_frames,
    day_number,
)

EVENT_TYPES = (
    "login",
    "feature_use",
    "email_open",
    "email_click",
    "support_ticket",
    "complaint",
    "page_view",
    "subscription_cancelled",
    None,  # an event of no type: weight 1, no sign of activity
)
START, END = 20_000, 20_700  # day numbers of the store's history


def random_store(seed: int, customers: int = 300) -> dict[str, pl.DataFrame]:
    """A small store with the edge cases: same-day orders, refunds, window edges, late arrivals."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple[object, ...]]] = {
        "customers": [],
        "orders": [],
        "events": [],
        "surveys": [],
        "subscriptions": [],
    }
    for cid in range(1, customers + 1):
        acquired = rng.randint(START, END - 20)
        rows["customers"].append((cid * 7, acquired, rng.choice(["web", "shop", None])))
        day = acquired
        for _ in range(rng.randint(0, 12)):
            # long silences (comebacks) and same-day orders both happen
            day += rng.choice([0, 0, 1, 30, 60, 90, 181, 200, 365, rng.randint(1, 120)])
            if day > END:
                break
            status = rng.choice(["paid", "paid", "paid", "refunded", "pending"])
            amount = round(rng.uniform(1, 500), 2) if rng.random() < 0.95 else None
            rows["orders"].append((cid * 7, day, status, amount))
        anchor = acquired + rng.randint(0, 200)
        for _ in range(rng.randint(0, 25)):
            # events at exactly the window edges of a later day
            day = anchor + rng.choice([0, 29, 30, 59, 60, 89, 90, rng.randint(-30, 300)])
            if START <= day <= END:
                rows["events"].append((cid * 7, day, rng.choice(EVENT_TYPES)))
        for day in rng.sample(range(acquired, END + 1), k=min(rng.randint(0, 3), 5)):
            rows["surveys"].append((cid * 7, day, rng.randint(0, 10)))
        start = acquired
        for _ in range(rng.randint(0, 3)):
            start += rng.randint(1, 150)
            stop = start + rng.randint(0, 200) if rng.random() < 0.7 else None
            rows["subscriptions"].append((cid * 7, start, stop))
            if stop is None:
                break
            start = stop + rng.randint(-5, 60)  # some overlap, some gap
    # an order and an event of a customer Tenure does not know are ignored
    rows["orders"].append((999_999, START + 400, "paid", 10.0))
    schemas = {
        "customers": {
            "customer_id": pl.Int64,
            "acquired_day": pl.Int32,
            "acquisition_channel": pl.String,
        },
        "orders": {"customer_id": pl.Int64, "day": pl.Int32, "status": pl.String, "amount": float},
        "events": {"customer_id": pl.Int64, "day": pl.Int32, "type": pl.String},
        "surveys": {"customer_id": pl.Int64, "day": pl.Int32, "score": pl.Int64},
        "subscriptions": {
            "customer_id": pl.Int64,
            "started_day": pl.Int32,
            "cancelled_day": pl.Int32,
        },
    }
    return {
        name: pl.DataFrame(rows[name], schema=schema, orient="row")  # type: ignore[arg-type]
        for name, schema in schemas.items()
    }


def expected(frames: dict[str, pl.DataFrame], day: date, params: FeatureParams) -> pl.DataFrame:
    return compute_features(cut_frames(frames, day_number(day)), day, params)


def check_days(frames: dict[str, pl.DataFrame], days: list[date], params: FeatureParams) -> int:
    checked = 0
    for day, got in daily_features(frames, days[0], days[-1], params):
        if day in days:
            want = expected(frames, day, params)
            assert_frame_equal(got, want, check_exact=False, rel_tol=1e-9, abs_tol=0.0)
            checked += 1
    return checked


def as_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def test_every_day_of_a_stretch_equals_compute_features() -> None:
    frames = random_store(seed=1)
    days = [as_date(START + 420 + k) for k in range(8)]
    assert check_days(frames, days, FeatureParams()) == len(days)


@pytest.mark.slow
def test_every_day_of_a_month_equals_compute_features() -> None:
    frames = random_store(seed=4)
    days = [as_date(START + 380 + k) for k in range(31)]
    assert check_days(frames, days, FeatureParams()) == len(days)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "params"),
    [
        (2, FeatureParams()),
        (3, FeatureParams(churn_after_days=60, engagement_half_life_days=5.0, comebacks=False)),
    ],
)
def test_sampled_days_over_a_long_walk(seed: int, params: FeatureParams) -> None:
    frames = random_store(seed=seed, customers=200)
    rng = random.Random(seed)
    # before the first customer, the first days, and days spread over the rest
    days = sorted({START - 3, START, START + 1, *rng.sample(range(START + 2, END + 40), k=10)})
    picked = [as_date(day) for day in days]
    every = [as_date(day) for day in range(days[0], days[-1] + 1)]
    seen = 0
    for day, got in daily_features(frames, every[0], every[-1], params):
        seen += 1
        if day in picked:
            want = expected(frames, day, params)
            assert_frame_equal(got, want, check_exact=False, rel_tol=1e-9, abs_tol=0.0)
    assert seen == len(every)


def test_a_store_with_no_activity() -> None:
    frames = {name: pl.DataFrame(schema=schema) for name, schema in EMPTY_SCHEMAS.items()}
    frames["customers"] = pl.DataFrame(
        {"customer_id": [3, 1], "acquired_day": [5, 9]},
        schema={"customer_id": pl.Int64, "acquired_day": pl.Int32},
    )
    days = [as_date(4), as_date(9)]
    assert check_days(frames, days, FeatureParams()) == len(days)


def test_the_demo_store_on_its_last_days(demo_frames: dict[str, pl.DataFrame]) -> None:
    """The demo company's history (years of it walked), checked on its last two days."""
    last = as_date(int(demo_frames["orders"]["day"].max()))  # type: ignore[arg-type]
    days = [last - timedelta(days=1), last]
    assert check_days(demo_frames, days, FeatureParams()) == len(days)
