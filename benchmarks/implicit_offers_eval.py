"""Does a learned propensity beat the sequence offers? ALS and BPR on the demo's later split.

"offer" here is the sequence offers (the run's before the learned model); "run" is what the
run now offers at a learned level: the sequence offers already due first, then BPR's items,
with the sequences' reasons kept where they apply.

The demo company (``--customers``, seed ``--seed``, last day ``--end``) is drawn in memory; its
paid order lines become the purchases the scoring run reads. On the split of
``tenure.analytics.offers_evaluation`` (offers from what was known 90 days before the last day,
checked against what each customer bought in those 90 days) it compares, at product and at
category level, the run's offers, "most popular", "sequence only", implicit-feedback ALS and
BPR (``tenure.analytics.propensity``): precision@3, recall@3 and hit rate, with 95% bootstrap
intervals (customers resampled, ``--resamples``) of each method's difference from the offers.

Usage: python benchmarks/implicit_offers_eval.py [--customers N] [--seed S] [--threads T]
       [--factors F] [--iterations I] [--alpha A] [--json]
"""

from __future__ import annotations

import argparse
import os

from machine import describe, pin_threads

if __name__ == "__main__":  # before numpy, polars or duckdb start their thread pools
    pin_threads("1")

import json  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from tenure.analytics.offers import OfferParams, offers, popular_offers, repeat_shares  # noqa: E402
from tenure.analytics.offers_evaluation import (  # noqa: E402
    ITEM_COLUMN,
    per_customer,
    relevant_purchases,
)
from tenure.analytics.propensity import (  # noqa: E402
    PropensityParams,
    blend,
    fit,
    learned_offers,
    purchase_days,
)
from tenure.analytics.sequences import SequenceParams, first_purchases, level_pairs  # noqa: E402
from tenure.demo.config import DemoConfig  # noqa: E402
from tenure.demo.generate import generate  # noqa: E402

HORIZON = 90
K = 3


def demo_purchases(customers: int, seed: int, end: date) -> tuple[pl.DataFrame, int]:
    """Return the demo's paid order lines (customer_id, day, product_id, category), last day."""
    data = generate(DemoConfig(customers=customers, seed=seed, end=end))
    orders = data.tables["orders"].filter(pl.col("status") == "paid")
    lines = data.tables["order_lines"]
    purchases = orders.join(lines, left_on="id", right_on="order_id").select(
        "customer_id",
        pl.col("ordered_at").dt.date().cast(pl.Int32).alias("day"),
        "product_id",
        "category",
    )
    return purchases, int(purchases["day"].max())  # type: ignore[arg-type]


def methods(
    purchases: pl.DataFrame, as_of: int, level: str, models: dict[str, PropensityParams]
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, dict[str, float]]:
    """Return every method's offers on the split, the relevant purchases, and fit seconds."""
    cut = as_of - HORIZON
    seq, off = SequenceParams(), OfferParams(per_customer=K)
    past = purchases.filter(pl.col("day") <= cut)
    future = purchases.filter((pl.col("day") > cut) & (pl.col("day") <= as_of))
    firsts = first_purchases(past, level, seq.max_items)
    pairs = level_pairs(firsts, level, cut, seq)
    repeats = repeat_shares(past, ITEM_COLUMN[level])
    relevant = relevant_purchases(past, future, level, repeats, off.repeat_from)
    baseline = OfferParams(per_customer=K, timing=False, fill_popular=False)
    found = {
        "offer": offers(firsts, pairs, repeats, cut, off),
        "most_popular": popular_offers(firsts, repeats, cut, off),
        "sequence_only": offers(firsts, pairs, repeats, cut, baseline),
    }
    seconds = {}
    days = purchase_days(past, ITEM_COLUMN[level])
    for model, params in models.items():
        clock = time.perf_counter()
        found[model] = learned_offers(fit(days, params), firsts, repeats, cut, K)
        seconds[model] = round(time.perf_counter() - clock, 2)
    # what the run offers at a learned level: BPR's items, the sequences' reasons kept
    found["run"] = blend(found["bpr"], found["offer"], cut, K)
    return found, relevant, seconds


def compare(
    found: dict[str, pl.DataFrame], relevant: pl.DataFrame, resamples: int, seed: int
) -> dict[str, Any]:
    """Return each method's figures and the bootstrap interval of its difference from offer."""
    per = {name: per_customer(o, relevant, K) for name, o in found.items()}
    rng = np.random.default_rng(seed)
    n = per["offer"].height
    draws = rng.integers(0, n, size=(resamples, n))

    def figures(frame: pl.DataFrame) -> dict[str, np.ndarray]:
        hits = frame["hits"].to_numpy().astype(np.float64)
        return {
            "precision": hits / K,
            "recall": hits / frame["relevant"].to_numpy(),
            "hit_rate": (hits > 0).astype(np.float64),
        }

    base = figures(per["offer"])
    out: dict[str, Any] = {"customers": n}
    for name, frame in per.items():
        mine = figures(frame)
        row: dict[str, Any] = {}
        for metric, values in mine.items():
            diff = values - base[metric]
            boot = diff[draws].mean(axis=1)
            row[metric] = round(float(values.mean()), 4)
            row[f"{metric}_diff"] = round(float(diff.mean()), 4)
            row[f"{metric}_ci"] = [round(float(q), 4) for q in np.quantile(boot, [0.025, 0.975])]
        out[name] = row
    return out


def main() -> None:
    """Draw the demo, compare the methods at both levels, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 12, 1))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--factors", type=int, default=PropensityParams.factors)
    parser.add_argument("--bpr-iterations", type=int, default=PropensityParams.iterations)
    parser.add_argument("--als-iterations", type=int, default=15)
    parser.add_argument("--alpha", type=float, default=PropensityParams.alpha)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    models = {
        "als": PropensityParams(
            model="als",
            factors=args.factors,
            iterations=args.als_iterations,
            alpha=args.alpha,
            threads=args.threads,
        ),
        "bpr": PropensityParams(
            model="bpr", factors=args.factors, iterations=args.bpr_iterations, threads=args.threads
        ),
    }
    purchases, as_of = demo_purchases(args.customers, args.seed, args.end)
    report: dict[str, Any] = {
        "machine": describe(),
        "load_average": os.getloadavg(),
        "customers": args.customers,
        "seed": args.seed,
        "lines": purchases.height,
        "models": {name: params.__dict__ for name, params in models.items()},
        "levels": {},
    }
    for level in ("product", "category"):
        found, relevant, seconds = methods(purchases, as_of, level, models)
        report["levels"][level] = compare(found, relevant, args.resamples, args.seed)
        report["levels"][level]["fit_seconds"] = seconds
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['machine']}; load {report['load_average']}")
    print(f"demo {args.customers} customers, seed {args.seed}: {purchases.height} lines")
    for level, figures in report["levels"].items():
        print(f"\n{level} ({figures['customers']} customers), k = {K}")
        for name in ("offer", "most_popular", "sequence_only", "als", "bpr", "run"):
            row = figures[name]
            cells = [
                f"{row[m]:.1%} ({row[f'{m}_diff'] * 100:+.1f} pt, "
                f"{row[f'{m}_ci'][0] * 100:+.1f}..{row[f'{m}_ci'][1] * 100:+.1f})"
                for m in ("precision", "recall", "hit_rate")
            ]
            print(f"  {name:14} " + "  ".join(cells))
        print(f"  fit seconds: {figures['fit_seconds']}")


if __name__ == "__main__":
    main()
