"""Cross-sell at scale: sequences and next best offers on a synthetic 1M-customer store.

A store of ``--customers`` customers (default 1,000,000) with about 16 paid order lines each
(16M lines) over two years: 8 categories × 10 products each, Zipf-popular within a category,
as the demo company's, and two planted sequences (COF-001 → KIT-004 after about 41 days,
beauty → books after about 71). Timed as the scoring run does it (``tenure.domains.crosssell
.compute.cross_sell``): both levels' pairs and offers, then, separately, the evaluation on the
later time split. BLAS and Polars threads are pinned (``--threads``) so that runs compare.

Usage: python benchmarks/cross_sell_bench.py [--customers N] [--threads T] [--no-evaluation]
       [--no-learned] [--store FILE.parquet]   (kept from an earlier run: the 1M store takes
       minutes to build)
Target (issue 17): sequences and offers ≤ 30 s and ≤ 4 GiB at 1M customers. On a shared
machine the wall seconds depend on the load: the CPU seconds (every thread of the process)
and the load average are printed beside them.
"""

from __future__ import annotations

import argparse
import os

from machine import describe, peak_rss_gib, pin_threads

if __name__ == "__main__":  # before numpy, polars or duckdb start their thread pools
    pin_threads()

import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from tenure.domains.crosssell.compute import cross_sell  # noqa: E402
from tenure.kit.settings import CrossSellSettings  # noqa: E402

CATEGORIES = ("coffee", "tea", "snacks", "kitchen", "home", "beauty", "books", "gifts")
WEIGHTS = np.array([0.22, 0.14, 0.16, 0.12, 0.11, 0.1, 0.08, 0.07])
DAYS = 730
AS_OF = 20_000 + DAYS  # any day number: the store's last day


def store(customers: int, seed: int = 17) -> pl.DataFrame:
    """Return the paid order lines: customer_id, day, product_id, category."""
    rng = np.random.default_rng(seed)
    lines = 1 + rng.poisson(15, customers)
    who = np.repeat(np.arange(customers, dtype=np.int64), lines)
    start = rng.integers(0, DAYS - 60, customers)
    day = start[who] + (rng.random(who.size) * (DAYS - start[who])).astype(np.int64)
    favourite = rng.choice(len(CATEGORIES), customers, p=WEIGHTS)
    other = rng.choice(len(CATEGORIES), who.size, p=WEIGHTS)
    category = np.where(rng.random(who.size) < 0.6, favourite[who], other)
    product = (rng.zipf(1.6, who.size) % 10).astype(np.int64)
    frame = pl.DataFrame(
        {
            "customer_id": who,
            "day": (20_000 + day).astype(np.int32),
            "cat": category.astype(np.int8),
            "product": product,
        }
    )
    # the planted sequences: 40% of COF-001 buyers buy KIT-004 ~41 days later, 30% of beauty
    # buyers books ~71 days later (an extra line each, when it falls before the last day)
    extra = []
    for cat, prod, b_cat, b_prod, share, lag in ((0, 1, 3, 4, 0.4, 41), (5, None, 6, 2, 0.3, 71)):
        hit = frame.filter(pl.col("cat") == cat)
        if prod is not None:
            hit = hit.filter(pl.col("product") == prod)
        first = hit.group_by("customer_id").agg(pl.col("day").min())
        chosen = first.filter(pl.Series(rng.random(first.height) < share))
        when = chosen["day"].to_numpy() + np.maximum(rng.normal(lag, 6, chosen.height), 1)
        ok = when <= 20_000 + DAYS
        extra.append(
            pl.DataFrame(
                {
                    "customer_id": chosen["customer_id"].to_numpy()[ok],
                    "day": when[ok].astype(np.int32),
                    "cat": np.full(int(ok.sum()), b_cat, dtype=np.int8),
                    "product": np.full(int(ok.sum()), b_prod, dtype=np.int64),
                }
            )
        )
    frame = pl.concat([frame, *extra])
    names = pl.Series(CATEGORIES)
    return frame.select(
        "customer_id",
        "day",
        pl.format(
            "{}-{}",
            names.str.slice(0, 3).str.to_uppercase().gather(frame["cat"].cast(pl.UInt32)),
            pl.col("product").cast(pl.String).str.zfill(3),
        ).alias("product_id"),
        names.gather(frame["cat"].cast(pl.UInt32)).alias("category"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-evaluation", action="store_true")
    parser.add_argument("--no-learned", action="store_true", help="Sequences alone (no BPR).")
    parser.add_argument(
        "--store", type=Path, help="a Parquet file: read if it exists, else written"
    )
    args = parser.parse_args()
    print(describe(), f"load average {os.getloadavg()[0]:.1f}", flush=True)
    clock = time.perf_counter()
    if args.store is not None and args.store.exists():
        purchases = pl.read_parquet(args.store)
    else:
        purchases = store(args.customers)
        if args.store is not None:
            purchases.write_parquet(args.store)
    made = time.perf_counter() - clock
    print(f"store: {args.customers:,} customers, {purchases.height:,} lines in {made:.1f} s")
    settings = CrossSellSettings(learned_levels=[] if args.no_learned else ["product"])
    clock, cpu = time.perf_counter(), time.process_time()
    found = cross_sell(purchases, AS_OF, settings, evaluate_split=False)
    seconds, cpu_seconds = time.perf_counter() - clock, time.process_time() - cpu
    load = os.getloadavg()
    peak = peak_rss_gib()
    strongest = {
        level: found.pairs.filter(level=level)
        .sort("z", descending=True)
        .head(2)
        .select("a", "b", "lag_median", "z")
        .to_dicts()
        for level in settings.levels
    }
    result = {
        "customers": args.customers,
        "lines": purchases.height,
        "threads": args.threads,
        "sequences_and_offers_seconds": round(seconds, 1),
        "sequences_and_offers_cpu_seconds": round(cpu_seconds, 1),
        "load_average_1_5_15": [round(x, 1) for x in load],
        "per_level_seconds": found.diagnostics["seconds"],
        "peak_rss_gib": round(peak, 2),
        "pairs": found.pairs.height,
        "offers": found.offers.height,
        "strongest": strongest,
    }
    if not args.no_evaluation:
        clock, cpu = time.perf_counter(), time.process_time()
        evaluated = cross_sell(purchases, AS_OF, settings)
        result["with_evaluation_seconds"] = round(time.perf_counter() - clock, 1)
        result["with_evaluation_cpu_seconds"] = round(time.process_time() - cpu, 1)
        result["load_average_after_evaluation"] = [round(x, 1) for x in os.getloadavg()]
        result["peak_rss_gib_with_evaluation"] = round(peak_rss_gib(), 2)
        result["evaluation"] = {
            level: figures["evaluation"]["methods"]
            for level, figures in evaluated.diagnostics["levels"].items()
        }
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
