"""An independent computation of the loyalty KPIs: plain Python loops and numpy algebra.

Written from docs/loyalty.md, not from tenure.analytics.loyalty_kpis, to check its figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import numpy as np


def _stage(n: int, since_first: int | None, since_last: int | None) -> str:
    if n == 0 or since_first is None or since_last is None:
        return "lapsed"
    if since_first < 90:
        return "new"
    if since_last <= 180:
        return "active"
    return "lapsing" if since_last <= 365 else "lapsed"


def _band(value: int | None, bands: list[tuple[int, str]], last: str) -> str:
    if value is None:
        return last
    return next((name for upper, name in bands if value <= upper), last)


def rows(
    orders: list[tuple[int, date, float]],
    joins: dict[int, date],
    as_of: date,
    starts: date | None = None,
    clv: dict[int, float] | None = None,
) -> list[dict[str, Any]]:
    """Every row of the comparison: members on their index day, non-members mid-month."""
    bought: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for c, d, a in orders:
        if d <= as_of:
            bought[c].append((d, a))
    seen: list[tuple[int, date, bool]] = []
    for c, joined in joins.items():
        index = max(joined, starts) if starts else joined
        if index <= as_of:
            seen.append((c, index, True))
    months = {(d.year, d.month) for _, d, m in seen}
    for c, got in bought.items():
        if c in joins:
            continue
        first = min(d for d, _ in got)
        for y, m in sorted(months):
            index = min(max(date(y, m, 15), starts or date.min), as_of)
            if first <= index:
                seen.append((c, index, False))
    found = []
    for c, index, member in seen:
        before = [d for d, _ in bought[c] if d <= index]
        after = [(d, a) for d, a in bought[c] if d > index]
        n = len(before)
        since_last = (index - max(before)).days if before else None
        since_first = (index - min(before)).days if before else None
        again = any(d <= index + timedelta(days=90) for d, _ in after)
        found.append(
            {
                "customer_id": c,
                "member": member,
                "stratum": (
                    (index.year, index.month),
                    _stage(n, since_first, since_last),
                    _band(n, [(0, "0"), (1, "1"), (2, "2"), (4, "3-4"), (9, "5-9")], "10+"),
                    _band(since_last, [(30, "a"), (90, "b"), (180, "c"), (365, "d")], "e"),
                    _band(since_first, [(90, "a"), (365, "b"), (730, "c")], "d"),
                ),
                "repurchase_90d": (float(again) if index + timedelta(days=90) <= as_of else None),
                "spend_since": sum(a for _, a in after),
                "predicted_clv": (clv or {}).get(c),
            }
        )
    return found


def compare(found: list[dict[str, Any]], outcome: str) -> dict[str, Any] | None:
    """The CEM comparison of one outcome, by loops; its intervals by the sandwich formula."""
    known = [r for r in found if r[outcome] is not None]
    t_s: dict[Any, int] = defaultdict(int)
    c_s: dict[Any, int] = defaultdict(int)
    for r in known:
        (t_s if r["member"] else c_s)[r["stratum"]] += 1
    matched = {s for s in t_s if s in c_s}
    kept = [r for r in known if r["stratum"] in matched]
    if not any(r["member"] for r in kept):
        return None
    total_t = sum(t_s[s] for s in matched)
    total_c = sum(c_s[s] for s in matched)
    weights = [
        1.0 if r["member"] else t_s[r["stratum"]] / c_s[r["stratum"]] * total_c / total_t
        for r in kept
    ]
    member_mean = sum(r[outcome] for r in kept if r["member"]) / total_t
    by_stratum: dict[Any, list[float]] = defaultdict(list)
    for r in kept:
        if not r["member"]:
            by_stratum[r["stratum"]].append(r[outcome])
    comparison = sum(t_s[s] / total_t * (sum(v) / len(v)) for s, v in by_stratum.items())
    y = np.array([r[outcome] for r in kept], dtype=float)
    x = np.column_stack([np.ones(len(kept)), [float(r["member"]) for r in kept]])
    w = np.array(weights)
    bread = np.linalg.inv(x.T @ (w[:, None] * x))
    beta = bread @ (x.T @ (w * y))
    residual = y - x @ beta
    groups: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(2))
    for i, r in enumerate(kept):
        groups[r["customer_id"]] += w[i] * residual[i] * x[i]
    meat = sum(np.outer(s, s) for s in groups.values())
    g, n = len(groups), len(kept)
    if g < 2 or n <= 2:  # too few to say how uncertain
        cov = np.full((2, 2), np.nan)
    else:
        cov = g / (g - 1) * (n - 1) / (n - 2) * bread @ meat @ bread
    return {
        "members": total_t,
        "non_members": len({r["customer_id"] for r in kept if not r["member"]}),
        "member_mean": member_mean,
        "comparison_mean": comparison,
        "difference": member_mean - comparison,
        # a variance of 0 may come out a hair below it: rounding, not a mistake
        "difference_se": float(np.sqrt(max(cov[1, 1], 0.0))) if g >= 2 and n > 2 else np.nan,
        "comparison_se": float(np.sqrt(max(cov[0, 0], 0.0))) if g >= 2 and n > 2 else np.nan,
    }
