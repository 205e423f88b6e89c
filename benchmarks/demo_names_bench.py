"""Time the demo's names, emails and company names for 50,000 and 1,000,000 customers.

Usage: python benchmarks/demo_names_bench.py
Issue 11: believable names must cost well under a second for the default 50,000 customers.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe  # noqa: E402
from tenure.demo.people import INDUSTRIES, PLACES, company_names, name_frame  # noqa: E402


def main() -> None:
    print(f"machine: {describe()}")
    for n in (50_000, 1_000_000):
        rng = np.random.default_rng(7)
        weights = np.array([p[3] for p in PLACES])
        place = rng.choice(len(PLACES), n, p=weights / weights.sum())
        female = rng.random(n) < 0.5
        industry = rng.integers(0, len(INDUSTRIES), n)
        best = {"names and emails": np.inf, "company names": np.inf}
        for _ in range(3):
            started = time.perf_counter()
            names = name_frame(np.random.default_rng(1), place, female)
            middle = time.perf_counter()
            company_names(np.random.default_rng(2), place, industry)
            ended = time.perf_counter()
            best["names and emails"] = min(best["names and emails"], middle - started)
            best["company names"] = min(best["company names"], ended - middle)
        counts = names["name"].value_counts()["count"]
        print(
            f"{n:>9,} customers: names and emails {best['names and emails']:.3f} s, "
            f"company names {best['company names']:.3f} s (best of 3); "
            f"{names['name'].n_unique():,} distinct names, the commonest held by {counts.max()}"
        )


if __name__ == "__main__":
    main()
