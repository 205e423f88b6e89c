"""Loyalty KPIs: the matched comparison and tier migration against an independent computation."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.analytics import loyalty_kpis as k
from tests.analytics import loyalty_reference as ref

AS_OF = date(2026, 6, 30)
D = date(2026, 1, 1)


def _frames(
    orders: list[tuple[int, date, float]], joins: dict[int, date]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    o = pl.DataFrame(
        orders, schema={"customer_id": pl.Int64, "day": pl.Date, "amount": pl.Float64}, orient="row"
    )
    j = pl.DataFrame(
        list(joins.items()), schema={"customer_id": pl.Int64, "joined": pl.Date}, orient="row"
    )
    return o, j


def _agree(
    orders: list[tuple[int, date, float]],
    joins: dict[int, date],
    clv: dict[int, float] | None = None,
    starts: date | None = None,
) -> k.Matched:
    o, j = _frames(orders, joins)
    c = None
    if clv is not None:
        c = pl.DataFrame(
            {"customer_id": list(clv), "predicted_clv": list(clv.values())},
            schema={"customer_id": pl.Int64, "predicted_clv": pl.Float64},
        )
    found = k.matched_comparison(k.index_rows(o, j, AS_OF, starts=starts, clv=c))
    expected = ref.rows(orders, joins, AS_OF, starts, clv)
    by_outcome = {c.outcome: c for c in found.comparisons}
    for outcome in k.OUTCOMES:
        want = ref.compare(expected, outcome) if expected else None
        got = by_outcome.get(outcome)
        if want is None:
            assert got is None, outcome
            continue
        assert got is not None, outcome
        assert (got.members, got.non_members) == (want["members"], want["non_members"])
        assert got.member_mean == pytest.approx(want["member_mean"], abs=1e-9)
        assert got.comparison_mean == pytest.approx(want["comparison_mean"], abs=1e-9)
        assert got.difference == pytest.approx(want["difference"], abs=1e-9)
        assert (got.difference_ci is None) == (want["difference_se"] != want["difference_se"])
        if got.difference_ci is not None and got.comparison_ci is not None:
            half = (got.difference_ci[1] - got.difference_ci[0]) / 2
            assert half == pytest.approx(1.959964 * want["difference_se"], rel=1e-5, abs=1e-9)
            half = (got.comparison_ci[1] - got.comparison_ci[0]) / 2
            assert half == pytest.approx(1.959964 * want["comparison_se"], rel=1e-5, abs=1e-9)
    return found


def test_a_hand_made_store() -> None:
    orders = [
        # Ann: buys 5 Jan, joins at her second order on 10 Feb, buys again 1 Mar and 20 Mar
        (1, D + timedelta(days=4), 40.0),
        (1, date(2026, 2, 10), 60.0),
        (1, date(2026, 3, 1), 30.0),
        (1, date(2026, 3, 20), 20.0),
        # Bob: the same start (5 Jan, 10 Feb) and never joins; buys once more on 1 June
        (2, D + timedelta(days=4), 40.0),
        (2, date(2026, 2, 10), 50.0),
        (2, date(2026, 6, 1), 10.0),
        # Cy: one order on 3 Feb, never joins, never buys again
        (3, date(2026, 2, 3), 25.0),
        # Di: joins at her first order on 20 Feb
        (4, date(2026, 2, 20), 99.0),
        # Ed: first order on 1 Feb, nothing since; never joins
        (5, date(2026, 2, 1), 15.0),
    ]
    joins = {1: date(2026, 2, 10), 4: date(2026, 2, 20)}
    o, j = _frames(orders, joins)
    rows = k.coarsen(k.index_rows(o, j, AS_OF)).sort("customer_id")
    ann = rows.filter(pl.col("customer_id") == 1).row(0, named=True)
    # Ann on 10 Feb: 2 orders, the last that day, the first 36 days before; 2 later ones,
    # the first 19 days after (a repurchase within 90 days); 50.00 since
    assert (ann["orders_before"], ann["days_since_last"], ann["days_since_first"]) == (2, 0, 36)
    assert (ann["stage"], ann["order_band"], ann["repurchase_90d"]) == ("new", "2", 1.0)
    assert ann["spend_since"] == 50.0
    # non-members are seen on 15 Feb (the members joined in February): Bob with 2 orders
    # (5 days since the last), Cy and Ed with 1; Bob's next order is 106 days later
    bob = rows.filter(pl.col("customer_id") == 2).row(0, named=True)
    assert (bob["index_day"], bob["orders_before"], bob["days_since_last"]) == (
        date(2026, 2, 15),
        2,
        5,
    )
    assert (bob["repurchase_90d"], bob["spend_since"]) == (0.0, 10.0)
    found = _agree(orders, joins, clv={1: 300.0, 2: 100.0, 4: 50.0})
    # Ann matches Bob (Feb, new, 2 orders, 0-30 days, 0-90 days); Di (1 order, 0 days
    # since) matches Cy and Ed, seen on 15 Feb 12 and 14 days after their one order
    assert (found.members, found.members_matched) == (2, 2)
    assert (found.non_members, found.non_members_matched) == (3, 3)
    spend = next(c for c in found.comparisons if c.outcome == "spend_since")
    # members: (50 + 0) / 2; non-members: ½ × Bob's 10 + ½ × mean(Cy 0, Ed 0)
    assert spend.member_mean == pytest.approx(25.0)
    assert spend.comparison_mean == pytest.approx(5.0)
    assert spend.difference == pytest.approx(20.0)


def test_no_non_member_to_compare_with_gives_no_comparison() -> None:
    orders = [(1, D, 10.0), (2, D, 20.0)]
    found = _agree(orders, {1: D, 2: D})
    assert found.comparisons == () and found.members_matched == 0


days = st.integers(min_value=0, max_value=170).map(lambda n: D + timedelta(days=n))


@st.composite
def stores(draw: st.DrawFn) -> tuple[list[tuple[int, date, float]], dict[int, date]]:
    people = draw(st.integers(min_value=2, max_value=25))
    orders = []
    joins = {}
    for c in range(1, people + 1):
        bought = sorted(draw(st.lists(days, min_size=1, max_size=6)))
        orders += [(c, d, float(draw(st.integers(1, 200)))) for d in bought]
        if draw(st.booleans()):
            joins[c] = bought[draw(st.integers(0, len(bought) - 1))]
    return orders, joins


@settings(max_examples=60, deadline=None)
@given(stores(), st.sampled_from([None, date(2026, 3, 1)]))
def test_any_store_agrees_with_the_independent_computation(
    store: tuple[list[tuple[int, date, float]], dict[int, date]], starts: date | None
) -> None:
    orders, joins = store
    clv = {c: float(c * 7 % 31) for c, _, _ in orders}
    _agree(orders, joins, clv, starts)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "silver", "gold"]), st.sampled_from([None, "silver", "gold"])
        ),
        max_size=40,
    )
)
def test_the_migration_matrix_counts_every_member_once(pairs: list[tuple[str | None, ...]]) -> None:
    frame = pl.DataFrame(
        {
            "customer_id": list(range(len(pairs))),
            "start": [p[0] for p in pairs],
            "end": [p[1] for p in pairs],
        },
        schema={"customer_id": pl.Int64, "start": pl.String, "end": pl.String},
    )
    table = k.migration(frame, ["silver", "gold"])
    counted = Counter(pairs)
    order = [None, "silver", "gold"]
    assert [r["start"] for r in table] == order
    for row in table:
        assert row["counts"] == [counted[(row["start"], end)] for end in order]
        assert row["total"] == sum(counted[(row["start"], end)] for end in order)
