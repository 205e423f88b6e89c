"""Special functions in the forms the models need, safe over the whole valid domain."""

from __future__ import annotations

import numpy as np
from scipy import special


def log1mexp(x: np.ndarray) -> np.ndarray:
    """Return log(1 − exp(x)) for x ≤ 0, accurately near 0 and for very negative x."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    near = x > -0.6931471805599453
    out[near] = np.log(-np.expm1(x[near]))
    out[~near] = np.log1p(-np.exp(x[~near]))
    return out


def hyp2f1_euler(
    a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float, z: np.ndarray
) -> np.ndarray:
    """Return (1 − z)^(a + b − c) · 2F1(a, b; c; z), computed as 2F1(c − a, c − b; c; z).

    Euler's transformation: the left side's two factors over- and underflow for large a, b
    (many purchases), while the right side stays of moderate size; 0 ≤ z < 1.
    """
    return special.hyp2f1(np.subtract(c, a), np.subtract(c, b), c, z)
