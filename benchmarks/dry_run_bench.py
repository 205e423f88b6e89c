"""Dry runs on history at scale: each preset playbook replayed over a year of the default demo.

The store is the default demo (``tenure demo``, 50,000 customers), built once in
``artifacts/dry-run-demo/`` and reused. Timed per preset playbook: ``simulate`` over the 365
days that end on the store's last day — the snapshot read, the daily scores (features walked
once, models refitted every 28 days) and the replay of it beside the other presets. Printed:
wall and CPU seconds, the process's peak memory, and the load average (the machine is shared).
BLAS and Polars threads are pinned (``--threads``, default 2).

Usage: python benchmarks/dry_run_bench.py [--customers 50000] [--days 365] [--threads 2]
                                          [--only win-back,lead-welcome]
Target (issue 14): a year of daily as-of evaluation on the default demo in under a minute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, peak_rss_gib, pin_threads  # noqa: E402

if __name__ == "__main__":  # before numpy, polars or duckdb start their thread pools
    pin_threads()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "src" / "tenure" / "domains" / "automation" / "presets"


def store(customers: int) -> Path:
    """Return the demo store's folder, building it first if it is not there yet."""
    folder = ROOT / "artifacts" / f"dry-run-demo-{customers}"
    if (folder / "tenure.db").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TENURE_DATABASE_URL": f"sqlite:///{folder / 'tenure.db'}"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tenure", "demo", "--customers", str(customers), "--json"],
        env=env,
        cwd=folder,
        check=True,
        capture_output=True,
    )
    print(f"built the demo store in {time.perf_counter() - started:.0f} s: {folder}", flush=True)
    return folder


def cpu_seconds() -> float:
    """Return this process's user + system CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--threads", default="2")
    parser.add_argument("--only", default="")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from tenure.domains.automation.dry_run import simulate
    from tenure.domains.automation.loading import read
    from tenure.domains.orders.models import Order
    from tenure.kit.settings import Settings
    from tenure.storage.engine import make_engine

    folder = store(args.customers)
    engine = make_engine(f"sqlite:///{folder / 'tenure.db'}")
    with engine.connect() as conn:
        last_order = conn.execute(select(func.max(Order.ordered_at))).scalar_one()
    last = last_order.date() if last_order is not None else date.today()
    first = last - timedelta(days=args.days - 1)
    wanted = {n for n in args.only.split(",") if n}
    print(f"machine: {describe()}; threads {args.threads}")
    print(f"store: {args.customers:,} customers; replayed {first} to {last} ({args.days} days)")
    for path in sorted(PRESETS.glob("*.yaml")):
        playbook = read(path).playbook
        if wanted and playbook.name not in wanted:
            continue
        load = os.getloadavg()
        wall, cpu = time.perf_counter(), cpu_seconds()
        with engine.connect() as conn:
            figures = simulate(conn, playbook, first, last, last, Settings())
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        totals = figures["totals"]
        print(
            f"{playbook.name:<26} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
            f"peak {peak_rss_gib():.2f} GiB  load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}  "
            f"entered {totals['entered']:,}  emails {figures['workload']['emails_sent']:,}  "
            f"tasks {figures['workload']['tasks_created']:,}  "
            f"not replayed {json.dumps(figures['not_replayed'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()
