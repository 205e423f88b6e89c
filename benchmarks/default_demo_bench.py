"""`tenure demo` as `make demo` runs it, timed whole, and its run checked against the truth.

Usage: python benchmarks/default_demo_bench.py [--customers 50000] [--profile ecommerce] [--runs 3]
Issue 11: the default demo (50,000 customers) loads and scores in under a minute on 2 cores.
BLAS threads are pinned to one, so that a busy machine does not mislead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe  # noqa: E402

PINNED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def tenure(folder: Path, *args: str) -> tuple[float, dict[str, object], int]:
    env = {**os.environ, **PINNED, "TENURE_DATABASE_URL": f"sqlite:///{folder / 'tenure.db'}"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tenure", *args, "--json"],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    return seconds, json.loads(done.stdout), done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--profile", default="ecommerce")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    wall = []
    for attempt in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            seconds, made, _ = tenure(
                folder, "demo", "--customers", str(args.customers), "--profile", args.profile
            )
            wall.append(seconds)
            rows = made["rows"]
            print(
                f"run {attempt + 1}: tenure demo {seconds:.1f} s (generate "
                f"{made['generate_seconds']:.1f} s; load and two scoring runs the rest); "
                f"{rows['customers']:,} customers, {rows['orders']:,} orders, "
                f"{rows['events']:,} events",
                flush=True,
            )
            if attempt == 0:
                check_seconds, report, code = tenure(folder, "demo", "check")
                print(f"  tenure demo check {check_seconds:.1f} s, exit code {code}")
                for verdict in report["verdicts"]:
                    print(
                        f"  {verdict['target']:<42} {verdict['value']!s:<22} met={verdict['met']}"
                    )
    print(
        f"tenure demo: min {min(wall):.1f} / median {statistics.median(wall):.1f} / "
        f"max {max(wall):.1f} s over {len(wall)} runs (goal: under 60 s)"
    )


if __name__ == "__main__":
    main()
