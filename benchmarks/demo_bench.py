"""Generate the demo company at scale; print each phase's time, row counts and peak memory.

Usage: python benchmarks/demo_bench.py [--customers N] [--skip-sqlite]
Issue 2: 1,000,000 customers with about 10M orders and 30M events in minutes, not hours.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, peak_rss_gib  # noqa: E402
from tenure.demo.config import DemoConfig  # noqa: E402
from tenure.demo.files import write_files  # noqa: E402
from tenure.demo.generate import generate  # noqa: E402
from tenure.demo.load import load_into_store  # noqa: E402
from tenure.storage.engine import bulk_load, make_engine  # noqa: E402
from tenure.storage.migrate import upgrade  # noqa: E402


def timed(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label:<34} {now - started:7.1f} s   peak {peak_rss_gib():5.1f} GiB", flush=True)
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"machine: {describe()}")
    config = DemoConfig(customers=args.customers, seed=7, end=date(2026, 11, 1))
    t0 = time.perf_counter()
    data = generate(config)
    t = timed("generate in memory", t0)
    for name, rows in data.counts().items():
        print(f"    {name:<18} {rows:>12,}")
    total = sum(data.counts().values())
    with tempfile.TemporaryDirectory() as tmp:
        write_files(data, Path(tmp) / "parquet", "parquet")
        t = timed("write import files (Parquet)", t)
        if not args.skip_sqlite:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
            upgrade(engine)
            with bulk_load(engine) as conn:
                load_into_store(conn, data, datetime.now(UTC))
            t_load = time.perf_counter()
            timed("load into SQLite (with indexes)", t)
            print(f"    {total / (t_load - t):,.0f} rows/s into SQLite")
    timed("total", t0)


if __name__ == "__main__":
    main()
