"""Loyalty at scale: set-based earning over a whole store's orders, then the nightly parts.

Usage: python benchmarks/loyalty_bench.py [--customers N] [--orders M] [--store PATH]

On a demo store of N customers — or, with --orders, a synthetic store of N customers and M
paid orders (benchmarks/loyalty_store.py: the demo takes hours at a million customers) —
built once and kept at --store (SQLite), the shipped Stars programme is applied and, in one
transaction each (rolled back, so every case starts from the same store):

1. earning from scratch over every paid order (``orders.run``: earn, reverse refunds, expire);
2. the same pass again, with nothing new (the keys make it write nothing);
3. the tier review as of the last day (``tiers.review``) and the milestones
   (``milestones.award_day``) after the earning.

Prints seconds (wall, and CPU of this process: the machine may be shared), orders and entries
as JSON. The issue's target on the 1M-customer store
(``--customers 1000000 --orders 10000000``): earning from scratch ≤ 60 s, the tier review
≤ 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

for _pin in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pin, "1")  # BLAS threads pinned: the figures compare across runs
sys.path.insert(0, str(Path(__file__).parent))
import loyalty_store  # noqa: E402
from machine import describe  # noqa: E402

END = date(2026, 6, 30)


def build(path: Path, customers: int) -> None:
    """Make the demo store at ``path`` unless it is there."""
    from tenure.demo.config import DemoConfig
    from tenure.demo.generate import generate
    from tenure.demo.load import load_into_store
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    if path.exists():
        return
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        data = generate(DemoConfig(customers=customers, seed=11, end=END))
        load_into_store(conn, data, datetime(2026, 7, 1, tzinfo=UTC))


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=None, help="a synthetic store of M orders")
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    from tenure.demo.loyalty import apply_programme
    from tenure.domains.loyalty import milestones, orders, service, tiers
    from tenure.kit.timeutil import end_of_day
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    if args.store is None:
        size = f"{args.customers}" + (f"-{args.orders}" if args.orders else "")
        args.store = Path(tempfile.gettempdir()) / f"tenure-loyalty-bench-{size}.db"
    clock = time.perf_counter()
    if args.orders:
        loyalty_store.build(args.store, args.customers, args.orders)
    else:
        build(args.store, args.customers)
    built = time.perf_counter() - clock
    engine = make_engine(f"sqlite:///{args.store}")
    upgrade(engine)  # a store built before the latest migrations (its indexes) is brought up
    until = end_of_day(END, "UTC")
    found: dict[str, object] = {
        "machine": describe(),
        "customers": args.customers,
        "synthetic_orders": args.orders,
        "store_built_s": round(built, 1),
        "load_before": os.getloadavg()[0],  # others' work on the machine slows every figure
    }
    with engine.connect() as conn:
        with conn.begin() as tx:
            key = apply_programme(conn, datetime(2026, 7, 1, tzinfo=UTC))
            book = service.book(conn, key)
            clock, cpu = time.perf_counter(), time.process_time()
            first = orders.run(conn, book, until)
            found["earn_from_scratch_s"] = round(time.perf_counter() - clock, 2)
            found["earn_from_scratch_cpu_s"] = round(time.process_time() - cpu, 2)
            found["orders"] = first.orders
            found["entries"] = first.earned
            clock = time.perf_counter()
            again = orders.run(conn, book, until)
            found["rerun_s"] = round(time.perf_counter() - clock, 2)
            found["rerun_entries"] = again.earned
            clock, cpu = time.perf_counter(), time.process_time()
            review = tiers.review(conn, book, END)
            found["tier_review_s"] = round(time.perf_counter() - clock, 2)
            found["tier_review_cpu_s"] = round(time.process_time() - cpu, 2)
            found["members"] = review.members
            found["tier_changes"] = len(review.changes)
            clock = time.perf_counter()
            found["milestones"] = milestones.award_day(conn, book, END)
            found["milestones_s"] = round(time.perf_counter() - clock, 2)
            tx.rollback()
    found["load_after"] = os.getloadavg()[0]
    print(json.dumps(found, indent=2, default=str))


if __name__ == "__main__":
    main()
