"""How well predicted probabilities match what happened: reliability, calibration error, Brier.

For probabilities p_i of events y_i ∈ {0, 1}, split [0, 1] into B equal bins and compare, in
each bin b, the mean prediction p̄_b with the observed rate ȳ_b:

    expected calibration error  ECE = Σ_b (n_b / N) · |p̄_b − ȳ_b|          (Naeini et al. 2015)
    Brier score                 BS  = (1 / N) · Σ_i (p_i − y_i)²             (Brier 1950)
    ROC-AUC                     the chance that a random event outranks a random non-event

A well calibrated score has ECE near 0: of the customers given 30%, about 30% had the event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Return, per equal-width bin of ``p`` holding anyone: range, size, mean p, event rate."""
    y, p = _checked(y, p)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        if n:
            rows.append(
                {
                    "from": b / bins,
                    "to": (b + 1) / bins,
                    "customers": n,
                    "predicted": float(p[inside].mean()),
                    "observed": float(y[inside].mean()),
                }
            )
    return rows


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Return Σ_b (n_b / N) · |mean prediction − event rate| over equal-width bins."""
    return _ece(reliability(y, p, bins))


def _ece(table: list[dict[str, Any]]) -> float:
    total = sum(r["customers"] for r in table)
    return float(sum(r["customers"] * abs(r["predicted"] - r["observed"]) for r in table) / total)


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Return the whole picture: sizes, means, Brier, ROC-AUC (None with one class), ECE, table."""
    y, p = _checked(y, p)
    both = 0 < y.sum() < y.size
    table = reliability(y, p, bins)
    return {
        "customers": int(y.size),
        "predicted_mean": float(p.mean()),
        "observed_rate": float(y.mean()),
        "brier": float(np.mean((p - y) ** 2)),
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "ece": _ece(table),
        "reliability": table,
    }


def _checked(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1 or y.size == 0:
        raise ValueError("outcomes and probabilities must be two non-empty arrays of one length")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1] (no NaN)")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("outcomes must be 0 or 1")
    return y, p
