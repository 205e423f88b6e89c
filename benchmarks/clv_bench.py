"""CLV models at scale, side by side with lifetimes 0.11.3 in the same run.

1,000,000 customers are simulated from the CDNOW BG/NBD parameters (Fader, Hardie & Lee 2005)
with first purchases spread over 12 weeks and 39 weeks of calibration, recorded by day as
transaction logs are; spend follows the CDNOW Gamma-Gamma parameters. Both libraries fit
BG/NBD and Gamma-Gamma, and predict 39-week conditional expected purchases, P(alive) and
12-month CLV. Fits and CLV are timed once; the sub-second predictions best of three, on both
sides alike. Predictions are compared from identical parameters (lifetimes' fit), so the
comparison measures the formulas, not where two optimisers stop.

Usage: python benchmarks/clv_bench.py [--customers N]
lifetimes needs numpy<2 and pandas<2: it is installed into benchmarks/.venv-lifetimes on the
first run (never as a dependency of Tenure).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from machine import describe, peak_rss_gib
from tenure.analytics.clv import BetaGeo, CustomerSummary, GammaGamma, customer_lifetime_value
from tenure.analytics.clv.simulate import simulate_bgnbd, simulate_gammagamma

HERE = Path(__file__).parent
SIDE_VENV = HERE / ".venv-lifetimes"
SIDE_PACKAGES = ["numpy==1.26.4", "pandas==1.5.3", "scipy==1.13.1", "lifetimes==0.11.3"]
CDNOW_BGNBD = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
CDNOW_GG = {"p": 6.2488, "q": 3.7446, "v": 15.4477}
LIFETIMES_WEEKS_PER_MONTH = 4.345  # lifetimes' month in weeks; used to compare like with like


def ensure_side_venv() -> Path:
    python = SIDE_VENV / "bin" / "python"
    if not python.exists():
        print("installing lifetimes into benchmarks/.venv-lifetimes …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SIDE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *SIDE_PACKAGES], check=True)
    return python


def simulate(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(1997)
    first_day = rng.integers(0, 84, n)  # first purchases over the first quarter
    big_t = (273 - first_day) / 7.0
    summary = simulate_bgnbd(n, **CDNOW_BGNBD, big_t=big_t, seed=7)
    # Transaction logs are kept by day: recency in whole days.
    recency = np.floor(summary["recency"].to_numpy() * 7) / 7
    spend = simulate_gammagamma(summary["frequency"].to_numpy(), **CDNOW_GG, seed=8)
    return summary.with_columns(
        pl.Series("recency", recency),
        pl.Series("monetary_value", np.round(spend["monetary_value"].to_numpy(), 2)),
    )


def timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def best_of_three(action):  # type: ignore[no-untyped-def]
    runs = [timed(action) for _ in range(3)]
    return runs[0][0], min(seconds for _, seconds in runs)


def tenure_side(
    data: pl.DataFrame, lifetimes_params: dict[str, dict[str, float]]
) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, object]]:
    times: dict[str, float] = {}
    bgnbd, times["bgnbd_fit"] = timed(lambda: BetaGeo().fit(data))
    spend, times["gammagamma_fit"] = timed(lambda: GammaGamma().fit(data))
    summary, times["prepare_summary"] = timed(lambda: CustomerSummary.of(data))
    _ = summary.collapsed  # grouping identical customers: once per summary
    times["prepare_summary"] += timed(lambda: summary.collapsed)[1]
    # predictions from lifetimes' own parameters, to compare the formulas
    same = BetaGeo()
    same.params_ = dict(lifetimes_params["bgnbd"])
    same_spend = GammaGamma()
    same_spend.params_ = dict(lifetimes_params["gammagamma"])
    expected, times["conditional_expected_purchases"] = timed(
        lambda: same.conditional_expected_purchases(39.0, summary)
    )
    alive, times["p_alive"] = timed(lambda: same.probability_alive(summary))
    clv, times["clv_12_months"] = timed(
        lambda: customer_lifetime_value(
            same,
            same_spend,
            data,
            margin=1.0,
            discount_rate=0.01,
            horizon_months=12,
            unit="W",
            days_per_month=LIFETIMES_WEEKS_PER_MONTH * 7,
        )
    )
    fits = {
        "bgnbd": bgnbd.params_,
        "gammagamma": spend.params_,
        "distinct_summaries": summary.collapsed.size,
    }
    return times, {"expected": expected, "alive": alive, "clv": clv}, fits


def max_relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    side = ensure_side_venv()
    data, seconds = timed(lambda: simulate(args.customers))
    print(
        f"{args.customers:,} customers simulated in {seconds:.1f} s; "
        f"{int((data['frequency'] > 0).sum()):,} repeat buyers"
    )
    with tempfile.TemporaryDirectory() as tmp:
        source, result = Path(tmp) / "summary.npz", Path(tmp) / "lifetimes.npz"
        np.savez(source, **{c: data[c].to_numpy() for c in data.columns})
        run = subprocess.run(
            [str(side), str(HERE / "lifetimes_side.py"), str(source), str(result)],
            capture_output=True,
            text=True,
            check=True,
        )
        theirs = json.loads(run.stdout.strip().splitlines()[-1])
        their_values = dict(np.load(result))
    ours, our_values, fits = tenure_side(data, theirs["params"])
    print(f"\n{'step':<34}{'lifetimes':>12}{'Tenure':>12}{'speed-up':>10}")
    for step in (
        "bgnbd_fit",
        "gammagamma_fit",
        "conditional_expected_purchases",
        "p_alive",
        "clv_12_months",
    ):
        mine, its = ours[step], theirs["times"][step]
        print(f"{step:<34}{its:>11.3f}s{mine:>11.4f}s{its / mine:>9.0f}×")
    print(f"{'(grouping identical customers, once)':<34}{'':>12}{ours['prepare_summary']:>11.4f}s")
    print(f"\ndistinct (frequency, recency, T) rows: {fits['distinct_summaries']:,}")
    for name in ("expected", "alive", "clv"):
        print(
            f"max relative difference, {name:<9}: "
            f"{max_relative(our_values[name], their_values[name]):.2e}"
        )
    for model in ("bgnbd", "gammagamma"):
        mine, its = fits[model], theirs["params"][model]
        worst = max(abs(mine[k] / its[k] - 1) for k in its)  # type: ignore[index]
        print(f"fitted {model} parameters: largest relative difference {worst:.2e}")
    print(f"peak memory (Tenure process): {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
