"""The lifetimes half of clv_bench.py; runs in benchmarks/.venv-lifetimes (numpy<2, pandas<2).

Reads the summary from an .npz file, times lifetimes' fits and predictions, and writes its
parameters and predictions back. Never imported by Tenure itself.
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter


def best_of_three(action):
    best, value = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return value, best


def main() -> None:
    data = np.load(sys.argv[1])
    out = sys.argv[2]
    frame = pd.DataFrame({k: data[k] for k in ("frequency", "recency", "T", "monetary_value")})
    f, r, t, m = frame["frequency"], frame["recency"], frame["T"], frame["monetary_value"]
    times = {}
    start = time.perf_counter()
    bgf = BetaGeoFitter(penalizer_coef=0.0).fit(f, r, t)
    times["bgnbd_fit"] = time.perf_counter() - start
    repeat = frame[frame["frequency"] > 0]
    start = time.perf_counter()
    ggf = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
    times["gammagamma_fit"] = time.perf_counter() - start
    # the sub-second predictions: best of three runs (as on the Tenure side)
    expected, times["conditional_expected_purchases"] = best_of_three(
        lambda: bgf.conditional_expected_number_of_purchases_up_to_time(39.0, f, r, t)
    )
    alive, times["p_alive"] = best_of_three(lambda: bgf.conditional_probability_alive(f, r, t))
    start = time.perf_counter()
    clv = ggf.customer_lifetime_value(bgf, f, r, t, m, time=12, discount_rate=0.01, freq="W")
    times["clv_12_months"] = time.perf_counter() - start
    np.savez(out, expected=np.asarray(expected), alive=np.asarray(alive), clv=np.asarray(clv))
    params = {
        "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
        "gammagamma": {k: float(v) for k, v in ggf.params_.items()},
    }
    print(json.dumps({"times": times, "params": params}))


if __name__ == "__main__":
    main()
