"""A scoring run on the demo company at scale: each phase's time, peak memory, and the feature
step against hand-written DuckDB SQL of the same features.

Usage: python benchmarks/score_bench.py [--customers N] [--store PATH]

Issue 4: 1,000,000 customers (~10M orders, ~30M events), the full run — snapshot, features,
model fits, churn model, scoring, stages, segments, KPIs, write-back to SQLite — in ≤ 60 s and
≤ 8 GiB; the feature step within 1.3× of hand-written DuckDB SQL.

The store is built once (generate + load into SQLite, minutes) and kept at --store; the run
itself is measured in a fresh process, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, peak_rss_gib  # noqa: E402

END = date(2026, 6, 30)


def build(store: Path, customers: int) -> None:
    """Generate the demo company and load it into a SQLite store at ``store``."""
    from tenure.demo.config import DemoConfig
    from tenure.demo.generate import generate
    from tenure.demo.load import load_into_store
    from tenure.storage.engine import bulk_load, make_engine
    from tenure.storage.migrate import upgrade

    started = time.perf_counter()
    data = generate(DemoConfig(customers=customers, seed=7, end=END))
    print(f"  generated {data.counts()} in {time.perf_counter() - started:.0f} s", flush=True)
    partial = store.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    upgrade(engine)
    with bulk_load(engine) as conn:
        load_into_store(conn, data, datetime(2026, 7, 1, tzinfo=UTC))
    engine.dispose()
    partial.rename(store)
    print(f"  built {store} in {time.perf_counter() - started:.0f} s", flush=True)


def run(store: Path) -> dict[str, object]:
    """One scoring run on a copy-free store; return its phases and this process's peak."""
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.settings import Settings
    from tenure.storage.arrow import arrow_reader
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{store}")
    upgrade(engine)
    settings = Settings()
    started = time.perf_counter()
    with engine.begin() as conn:
        result = run_scoring(conn, END, settings, arrow_reader(engine))
        record = conn.exec_driver_sql(
            "SELECT counts FROM scoring_runs WHERE id = ?", (result.run_id,)
        ).scalar_one()
        conn.rollback()  # keep the store as it was, so the next run measures the same work
    total = time.perf_counter() - started
    counts = json.loads(record) if isinstance(record, str) else record
    return {
        "total_seconds": round(total, 2),
        "phases": result.seconds,
        "customers": result.customers,
        "peak_gib": round(peak_rss_gib(), 2),
        "churn": counts.get("churn", {}).get("metrics"),
        "conversion": counts.get("lead_conversion", {}).get("metrics"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--store",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tenure-score-bench.db",
        help="Where the benchmark's store is kept between runs (built when missing).",
    )
    parser.add_argument("--run-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--features-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_only:
        print(json.dumps(run(args.store)))
        return
    if args.features_only:
        from features_sql import compare

        print(json.dumps(compare(args.store, END)))
        return
    print(f"machine: {describe()}")
    if not args.store.exists():
        print(f"building the store ({args.customers:,} customers) …", flush=True)
        build(args.store, args.customers)
    me = [sys.executable, __file__, "--store", str(args.store)]
    measured = json.loads(
        subprocess.run(
            [*me, "--run-only"], capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
    )
    print(f"scoring run as of {END}: {measured['customers']:,} customers")
    for phase, seconds in measured["phases"].items():  # type: ignore[union-attr]
        print(f"  {phase:<10} {seconds:7.2f} s")
    print(
        f"  {'total':<10} {measured['total_seconds']:7.2f} s   peak {measured['peak_gib']:.2f} GiB"
    )
    print(f"  churn model vs baselines: {measured['churn']}")
    print(f"  lead conversion vs rules: {measured['conversion']}")
    features = json.loads(
        subprocess.run(
            [*me, "--features-only"], capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
    )
    print(
        f"feature step: Ibis on DuckDB {features['ibis_seconds']:.2f} s, hand-written "
        f"DuckDB SQL {features['sql_seconds']:.2f} s ({features['ratio']:.2f}×, best of "
        f"{features['repeats']}); results equal: {features['equal']}"
    )


if __name__ == "__main__":
    main()
