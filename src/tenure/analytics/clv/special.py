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
    # below −700 exp(x) is negligible next to 1; clamping avoids an underflow warning
    out[~near] = np.log1p(-np.exp(np.maximum(x[~near], -700.0)))
    return out


def hyp2f1_euler(
    a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float, z: np.ndarray
) -> np.ndarray:
    """Return (1 − z)^(a + b − c) · 2F1(a, b; c; z), computed as 2F1(c − a, c − b; c; z).

    Euler's transformation: the left side's two factors over- and underflow for large a, b
    (many purchases), while the right side stays of moderate size; 0 ≤ z < 1.
    """
    return special.hyp2f1(np.subtract(c, a), np.subtract(c, b), c, z)


def log_hyp2f1_c_is_a_plus_1(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Return log 2F1(a, b; a+1; z) for a, b > 0, b < a + 1 and 0 ≤ z < 1, without overflow.

    Pfaff's transformation gives (1 − z)^(−b) · 2F1(1, b; a+1; z/(z−1)); with z/(z−1) ≤ 0 and
    b < a + 1 the second factor lies in (0, 1], so the logarithm stays finite even when the
    function itself exceeds the largest float (many purchases, z near 1).
    """
    w = z / (z - 1.0)
    return -b * np.log1p(-z) + np.log(special.hyp2f1(1.0, b, a + 1.0, w))


def scaled_hyp2f1_euler(
    a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float, z: np.ndarray
) -> np.ndarray:
    """Return (1 − z)^(c − b) · hyp2f1_euler(a, b, c, z) for 0 ≤ z < 1, finite everywhere.

    The product equals (1 − z)^a · 2F1(a, b; c; z). With a very large c − b (a BG/NBD fit
    whose a and b run to tens of thousands: dropout with no heterogeneity) the power of the
    Euler form underflows to 0 and its function overflows to inf; there the second form, whose
    power and function stay moderate, is used instead (elsewhere the Euler form keeps the
    published tables' figures and stays finite for customers with many purchases).
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        direct = np.asarray((1 - z) ** np.subtract(c, b) * hyp2f1_euler(a, b, c, z))
    bad = ~np.isfinite(direct)
    if bad.any():
        shape = np.broadcast(a, b, c, z).shape
        a_, b_, c_, z_ = (np.broadcast_to(v, shape)[bad] for v in (a, b, c, z))
        direct = np.broadcast_to(direct, shape).copy()
        direct[bad] = (1 - z_) ** a_ * special.hyp2f1(a_, b_, c_, z_)
    return direct
