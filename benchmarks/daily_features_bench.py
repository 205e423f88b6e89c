"""Dry runs' foundation at scale: a year of daily feature tables on a synthetic store.

A store of ``--customers`` customers (default 50,000) acquired over three years, with about
12 orders (a tenth refunded), 40 events of the feature types, a survey answer or two and a
subscription for a third of them. Timed: ``tenure.analytics.daily_features.daily_features``
over the last ``--days`` days (default 365), every day's frame built, against one
compute_features() run for the last day (what a replay would otherwise pay per day). BLAS and
Polars threads are pinned (``--threads``) so that runs compare.

Usage: python benchmarks/daily_features_bench.py [--customers N] [--days D] [--threads T] [--demo]
                                                  [--stages]
(--demo: the demo company's store of --customers customers, generated first; --stages: also
the real health() and assign_stages() of the ecommerce preset on each day, without P(alive).)
Target (issue 14): a year of daily as-of evaluation on the default demo in under a minute;
the features are the first part of it.
"""

from __future__ import annotations

import argparse

from machine import describe, peak_rss_gib, pin_threads

if __name__ == "__main__":  # before numpy, polars or duckdb start their thread pools
    pin_threads()

import time  # noqa: E402
from datetime import timedelta  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402

from tenure.analytics.daily_features import daily_features  # noqa: E402
from tenure.analytics.features import (  # noqa: E402
    EMPTY_SCHEMAS,
    EPOCH,
    FeatureParams,
    compute_features,
    cut_frames,
)
from tenure.analytics.health import HealthParams, health  # noqa: E402
from tenure.analytics.stages import assign_stages, policy  # noqa: E402
from tenure.kit.settings.stages import StageSettings  # noqa: E402

END = 20_800  # the last day number of the history
HISTORY = 3 * 365
EVENT_TYPES = np.array(
    [
        "login",
        "feature_use",
        "email_open",
        "email_click",
        "support_ticket",
        "complaint",
        "page_view",
    ]
)


def synthetic_store(customers: int, seed: int = 7) -> dict[str, pl.DataFrame]:
    """Return the store's frames (day numbers, as compute_features reads them)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1, dtype=np.int64)
    acquired = rng.integers(END - HISTORY, END, customers).astype(np.int32)

    def rows_per(mean: float) -> tuple[np.ndarray, np.ndarray]:
        count = rng.poisson(mean, customers)
        owner = np.repeat(np.arange(customers), count)
        span = END - acquired[owner] + 1
        day = acquired[owner] + (rng.random(len(owner)) * span).astype(np.int32)
        return ids[owner], day.astype(np.int32)

    owner, day = rows_per(12)
    orders = pl.DataFrame(
        {
            "customer_id": owner,
            "day": day,
            "status": np.where(rng.random(len(owner)) < 0.1, "refunded", "paid"),
            "amount": np.round(rng.gamma(2.0, 40.0, len(owner)), 2),
        }
    )
    owner, day = rows_per(40)
    events = pl.DataFrame(
        {"customer_id": owner, "day": day, "type": rng.choice(EVENT_TYPES, len(owner))}
    )
    owner, day = rows_per(1.5)
    surveys = pl.DataFrame(
        {"customer_id": owner, "day": day, "score": rng.integers(0, 11, len(owner))}
    ).unique(["customer_id", "day"], keep="first")
    subscribers = rng.random(customers) < 0.33
    started = acquired[subscribers] + rng.integers(0, 200, int(subscribers.sum()))
    length = rng.integers(30, 700, len(started))
    cancelled = np.where(rng.random(len(started)) < 0.6, started + length, -1)
    subscriptions = pl.DataFrame(
        {
            "customer_id": ids[subscribers],
            "started_day": started.astype(np.int32),
            "cancelled_day": cancelled.astype(np.int32),
        }
    ).with_columns(pl.when(pl.col("cancelled_day") >= 0).then(pl.col("cancelled_day")))
    return {
        "customers": pl.DataFrame({"customer_id": ids, "acquired_day": acquired}),
        "orders": orders,
        "events": events,
        "surveys": surveys,
        "subscriptions": subscriptions,
    }


def demo_store(customers: int) -> tuple[dict[str, pl.DataFrame], int]:
    """Return the demo company's store as day-number frames and its last day number."""
    from tenure.demo.config import DemoConfig  # noqa: PLC0415  (only with --demo)
    from tenure.demo.generate import generate  # noqa: PLC0415

    config = DemoConfig(customers=customers, seed=1)
    tables = generate(config).tables

    def day(column: str) -> pl.Expr:
        return pl.col(column).dt.date().cast(pl.Int32)

    frames = {
        "customers": tables["customers"].select(
            pl.col("id").alias("customer_id"),
            day("acquired_at").alias("acquired_day"),
            "acquisition_channel",
            "email_consent",
            "company_size",
        ),
        "orders": tables["orders"].select(
            "customer_id", day("ordered_at").alias("day"), "status", pl.col("amount").cast(float)
        ),
        "events": tables["events"].select("customer_id", day("occurred_at").alias("day"), "type"),
        "surveys": tables["survey_responses"].select(
            "customer_id", day("answered_at").alias("day"), "score"
        ),
        "subscriptions": pl.DataFrame(schema=EMPTY_SCHEMAS["subscriptions"]),
    }
    return frames, (config.end - EPOCH).days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--threads", default="2")
    parser.add_argument("--demo", action="store_true", help="the demo company's store instead")
    parser.add_argument(
        "--stages", action="store_true", help="also health and stages (no P(alive)) each day"
    )
    args = parser.parse_args()
    print(describe(), f"threads {args.threads}")
    clock = time.perf_counter()
    end = END
    if args.demo:
        frames, end = demo_store(args.customers)
    else:
        frames = synthetic_store(args.customers)
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in frames.items())
    print(f"store: {sizes} ({time.perf_counter() - clock:.1f} s to make)")
    last = EPOCH + timedelta(days=end)
    first = last - timedelta(days=args.days - 1)
    params = FeatureParams()

    clock, cpu = time.perf_counter(), time.process_time()
    rows, staging = 0, 0.0
    frame = pl.DataFrame()
    stage_policy = policy("ecommerce", StageSettings().params())
    for _, frame in daily_features(frames, first, last, params):
        rows += len(frame)
        if args.stages:
            started = time.perf_counter()
            bands = health(frame, HealthParams()).select("customer_id", "health_band")
            assign_stages(frame.join(bands, on="customer_id"), stage_policy)
            staging += time.perf_counter() - started
    walked, cpu = time.perf_counter() - clock, time.process_time() - cpu
    print(
        f"daily_features: {args.days} days, {rows:,} customer-days in {walked:.1f} s "
        f"({walked / args.days * 1000:.0f} ms a day; {walked * 365 / args.days:.1f} s a year; "
        f"{cpu:.1f} s of CPU, which a busy machine does not inflate)"
    )
    if args.stages:
        print(
            f"  of which health and stages: {staging:.1f} s "
            f"(the features: {walked - staging:.1f} s)"
        )
    clock = time.perf_counter()
    once = compute_features(cut_frames(frames, end), last, params)
    single = time.perf_counter() - clock
    try:
        assert_frame_equal(frame, once, check_exact=False, rel_tol=1e-9, abs_tol=0.0)
        same = "equal (floats within 1e-9 relative)"
    except AssertionError as error:
        same = f"DIFFERENT: {error}"
    print(
        f"compute_features: one day in {single:.2f} s ({single * 365:.0f} s for a year of days); "
        f"the walk's last day is {same}"
    )
    print(f"peak memory {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
