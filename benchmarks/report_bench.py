"""How long a playbook's "did it work?" report takes on a big store.

Usage: python benchmarks/report_bench.py [--customers 1000000] [--enrollments 100000]
       [--orders-per-customer 3] [--runs 3] [--workdir DIR]

The playbook page computes the report on every view, and `tenure playbooks report` and the API
answer it: it must stay interactive. A synthetic SQLite store (customers, paid orders spread
over two years, one playbook with a 10% holdout and a purchase goal, its enrollments a year
ago) is built here; the figure is the median of ``--runs`` reports. BLAS threads are pinned.
"""

from __future__ import annotations

import os

os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, peak_rss_gib  # noqa: E402
from playbook_bench import add_customers, add_owners, apply, fresh_sqlite  # noqa: E402

PLAYBOOK = """\
name: bench-offer
title: {en: An offer}
trigger: {manual: true}
enrollment: {holdout: 0.1}
goal: {purchase: true, within_days: 60}
steps:
  - add_tags: [offered]
"""


def add_orders(engine: object, customers: int, per_customer: int, now: datetime) -> float:
    """Bulk-insert paid orders at random times over the last two years; return seconds."""
    import polars as pl

    from tenure.domains.orders.models import Order
    from tenure.storage.base import table_of
    from tenure.storage.bulk import write_frame
    from tenure.storage.engine import bulk_load

    started = time.perf_counter()
    count = customers * per_customer
    n = pl.int_range(0, count, eager=True)
    frame = (
        pl.DataFrame(
            {
                "external_id": "o" + n.cast(pl.String),
                "customer_id": (n % customers) + 1,
                "seconds_back": (n * 7919 % (730 * 86400)).cast(pl.Int64),
                "status": pl.repeat("paid", count, eager=True),
                "amount": ((n * 31) % 200 + 20).cast(pl.Float64),
                "discount": pl.repeat(0.0, count, eager=True),
                "currency": pl.repeat("USD", count, eager=True),
            }
        )
        .with_columns(
            ordered_at=pl.lit(now, dtype=pl.Datetime("us", "UTC"))
            - pl.duration(seconds=pl.col("seconds_back"))
        )
        .drop("seconds_back")
    )
    with bulk_load(engine) as conn:  # type: ignore[arg-type]
        write_frame(conn, table_of(Order), frame, stamp=now)
    return time.perf_counter() - started


def add_enrollments(engine: object, playbook_id: int, count: int, customers: int) -> None:
    """Enroll ``count`` customers a year ago, every tenth held out, every window closed."""
    import polars as pl

    from tenure.domains.automation.models import Enrollment
    from tenure.storage.base import table_of
    from tenure.storage.bulk import write_frame
    from tenure.storage.engine import bulk_load

    year_ago = datetime.now(UTC) - timedelta(days=365)
    n = pl.int_range(0, count, eager=True)
    step = max(customers // count, 1)
    frame = pl.DataFrame(
        {
            "playbook_id": pl.repeat(playbook_id, count, eager=True, dtype=pl.Int64),
            "version": pl.repeat(1, count, eager=True, dtype=pl.Int64),
            "customer_id": n * step + 1,
            "holdout": (n % 10) == 0,
            "status": pl.repeat("completed", count, eager=True),
            "step": pl.repeat(1, count, eager=True, dtype=pl.Int64),
            "seq": pl.repeat(1, count, eager=True, dtype=pl.Int64),
            "enrolled_at": pl.repeat(year_ago, count, eager=True),
            "goal_until": pl.repeat(year_ago + timedelta(days=60), count, eager=True),
            "trigger": pl.repeat("manual", count, eager=True),
        }
    )
    with bulk_load(engine) as conn:  # type: ignore[arg-type]
        write_frame(conn, table_of(Enrollment), frame)


def main() -> None:
    """Build the store, then time the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    from tenure.domains.automation import measure

    print(f"machine: {describe()}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="report-bench-"))
    engine = fresh_sqlite(workdir / "report.db")
    owners = add_owners(engine)
    print(f"customers: {add_customers(engine, args.customers, owners):.1f} s to insert")
    now = datetime.now(UTC)
    seconds = add_orders(engine, args.customers, args.orders_per_customer, now)
    print(f"orders: {args.customers * args.orders_per_customer:,} in {seconds:.1f} s")
    version = apply(engine, PLAYBOOK)
    add_enrollments(engine, version.playbook_id, args.enrollments, args.customers)
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with engine.connect() as conn:
            found = measure.measure(conn, "bench-offer", margin_share=0.3)
        timings.append(time.perf_counter() - started)
    print(
        f"report on {args.enrollments:,} enrollments ({found.measured_treated:,} treated, "
        f"{found.measured_holdout:,} held out) among {args.customers:,} customers: "
        f"median {statistics.median(timings):.2f} s of {args.runs} "
        f"({', '.join(f'{t:.2f}' for t in timings)}); peak memory {peak_rss_gib():.2f} GiB"
    )
    if found.goal_rate is not None:
        rate = found.goal_rate
        print(
            f"goal rate {rate.treated:.1%} vs {rate.holdout:.1%}, "
            f"95% interval {rate.low:+.3f} … {rate.high:+.3f} (no true effect: should cover 0)"
        )


if __name__ == "__main__":
    main()
