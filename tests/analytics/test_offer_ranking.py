"""The sparse-matrix offers against a customer-by-customer computation in plain Python.

Random stores with what the ranking must get right: items bought again (barred unless they
repeat), several items leading to one B, pairs long past their lags (score 0), ties between
items and with the popular fallback's base rate, and customers with fewer candidates than k.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import polars as pl
import pytest

from tenure.analytics import offer_ranking
from tenure.analytics.offers import OfferParams, offers
from tenure.analytics.sequences import SequenceParams, firsts_and_repeats, level_pairs
from tests.analytics.test_sequence_histogram import AS_OF, random_store


def cdf(t: float, q1: float, q2: float, q3: float) -> float:
    """F(t): piecewise linear through the quartiles, as docs/cross-sell.md defines it."""
    end = q3 + 2 * (q3 - q1) + 1
    if t <= 0:
        return 0.0
    if t <= q1:
        return 0.25 * t / max(q1, 1e-9)
    for x0, x1, y0 in ((q1, q2, 0.25), (q2, q3, 0.5), (q3, end, 0.75)):
        if t <= x1 or x1 == end:
            return y0 + 0.25 * min(max((t - x0) / max(x1 - x0, 1e-9), 0.0), 1.0)
    raise AssertionError  # pragma: no cover


def brute_force(
    firsts: pl.DataFrame,
    pairs: pl.DataFrame,
    repeats: pl.DataFrame,
    as_of: int,
    params: OfferParams,
) -> list[dict[str, Any]]:
    """Every customer's offers, one customer and one candidate at a time."""
    strong = {(r["a"], r["b"]): r for r in pairs.iter_rows(named=True) if r["z"] >= params.min_z}
    leads: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (a, _), row in strong.items():
        leads[a].append(row)
    again = {
        r["item"] for r in repeats.iter_rows(named=True) if r["repeat_share"] >= params.repeat_from
    }
    bought: dict[int, dict[str, int]] = defaultdict(dict)
    for c, item, day in firsts.select("customer_id", "item", "day").iter_rows():
        bought[c][item] = day
    recent = defaultdict(set)
    for c, items in bought.items():
        for item, day in items.items():
            if day > as_of - params.popular_days:
                recent[item].add(c)
    total = max(len({c for cs in recent.values() for c in cs}), 1)
    popular = sorted(recent, key=lambda i: (-len(recent[i]), i))[: params.per_customer * 4]
    k, out = params.per_customer, []
    for c in sorted(bought):
        items = bought[c]
        barred = {item for item in items if item not in again}
        chances: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
        for a, day in items.items():
            for row in leads[a]:
                if row["b"] in barred:
                    continue
                share = row["share"]
                if params.timing:
                    f = cdf(as_of - day, row["lag_q1"], row["lag_median"], row["lag_q3"])
                    p = 0.0 if f >= 1 else share * (1 - f) / (1 - share * f)
                else:
                    p = share
                chances[row["b"]].append((p, a, day))
        seq = {
            b: 1 - math.prod(1 - p for p, _, _ in found) if params.timing else max(found)[0]
            for b, found in chances.items()
        }
        ordered = sorted(seq.values(), reverse=True)
        kth = ordered[k - 1] if len(ordered) >= k else -math.inf
        merged = {b: (s, "sequence") for b, s in seq.items() if s >= kth}
        if params.fill_popular:
            for item in popular:
                score = len(recent[item]) / total
                if item not in barred and (item not in merged or merged[item][0] < score):
                    merged[item] = (score, "popular")
        best = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
        for rank, (item, (score, source)) in enumerate(best, 1):
            reason = (None, None)
            if source == "sequence":
                p_max = max(p for p, _, _ in chances[item])
                reason = min((a, day) for p, a, day in chances[item] if p == p_max)
            out.append(
                {
                    "customer_id": c,
                    "rank": rank,
                    "item": item,
                    "score": score,
                    "source": source,
                    "from_item": reason[0],
                    "from_day": reason[1],
                }
            )
    return out


@pytest.mark.parametrize(
    ("seed", "level", "params"),
    [
        (1, "product", OfferParams(min_z=1.0)),
        (2, "product", OfferParams(min_z=0.0, per_customer=5, fill_popular=False)),
        (3, "product", OfferParams(min_z=1.0, timing=False, fill_popular=False)),
        (4, "category", OfferParams(min_z=1.0, repeat_from=0.2)),
        (5, "category", OfferParams(min_z=-99.0, per_customer=2, popular_days=30)),
    ],
)
def test_the_offers_equal_a_customer_by_customer_computation(
    seed: int, level: str, params: OfferParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    purchases = random_store(seed, 600, 30, span=200)
    firsts, repeats = firsts_and_repeats(purchases, level, 8)
    pairs = level_pairs(firsts, level, AS_OF, SequenceParams(min_support=4, max_items=8))
    monkeypatch.setattr(offer_ranking, "CHUNK_CELLS", 997)  # many chunks
    ours = offers(firsts, pairs, repeats, AS_OF, params)
    theirs = brute_force(firsts, pairs, repeats, AS_OF, params)
    columns = ["customer_id", "rank", "item", "source", "from_item", "from_day"]
    assert ours.select(columns).rows() == [tuple(r[c] for c in columns) for r in theirs]
    assert ours["score"].to_list() == pytest.approx([r["score"] for r in theirs], rel=1e-12)
    assert ours.height > 1000
    if level == "product":  # not all of it the fallback
        assert ours.filter(source="sequence").height > 10


def test_without_strong_pairs_only_the_fallback_is_offered() -> None:
    purchases = random_store(7, 200, 12)
    firsts, repeats = firsts_and_repeats(purchases, "product", 8)
    pairs = level_pairs(firsts, "product", AS_OF, SequenceParams(min_support=4))
    params = OfferParams(min_z=1e9)  # no pair is evidence
    ours = offers(firsts, pairs, repeats, AS_OF, params)
    assert ours.height > 0
    assert set(ours["source"]) == {"popular"}
    assert ours.select("customer_id", "rank", "item").rows() == [
        (r["customer_id"], r["rank"], r["item"])
        for r in brute_force(firsts, pairs, repeats, AS_OF, params)
    ]
    alone = OfferParams(min_z=1e9, fill_popular=False)
    assert offers(firsts, pairs, repeats, AS_OF, alone).is_empty()
    assert offers(firsts, pairs.clear(), repeats, AS_OF, alone).is_empty()
