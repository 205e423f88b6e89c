"""Set-based earning gives what earning order by order gives, caps and tiers included."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import bulk, orders, service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.models import LoyaltyEntry
from tests.domains.loyalty.helpers import DAY0, make_book, member, order

RULES = [
    {"key": "base", "per_unit": 1, "multipliers": {"gold": 2}},
    {"key": "visit", "per_order": 7, "cap_day": 10, "cap_month": 15},
]


def _ledger(conn: Connection, programme_id: int) -> list[tuple[str, int]]:
    rows = conn.execute(
        select(LoyaltyEntry.key, LoyaltyEntry.amount)
        .where(LoyaltyEntry.programme_id == programme_id)
        .order_by(LoyaltyEntry.key)
    )
    return [(str(k), int(a)) for k, a in rows]


def test_a_batch_earns_what_order_by_order_earns(conn: Connection, session: Session) -> None:
    one = make_book(conn, key="one", earn=RULES)
    two = make_book(conn, key="two", earn=RULES)
    ann, bob = member(session), member(session)
    # ann: two orders on day 0 (visit capped at 10 that day), one on day 1 (month cap 15 → 1)
    # bob: gold, one order (base doubled)
    facts = [
        order(session, ann, "10.50", DAY0),
        order(session, ann, "3.00", DAY0 + timedelta(hours=1)),
        order(session, ann, "5.00", DAY0 + timedelta(days=1)),
        order(session, bob, "20.00", DAY0 + timedelta(days=1)),
    ]
    session.flush()
    tiers = {bob: "gold"}
    for fact in facts:
        service.earn_order(conn, one, fact, tier=tiers.get(fact.customer_id))
    done = bulk.credit_orders(conn, two, facts, DAY0 + timedelta(days=2), tiers)
    expected = _ledger(conn, one.id)
    assert _ledger(conn, two.id) == expected
    # by hand: base 10 + 3 + 5 + 40; visit 7 + 3 (day cap) + 5 (month cap 15) ; bob visit 7
    assert sum(a for _, a in expected) == 10 + 3 + 5 + 40 + 7 + 3 + 5 + 7
    assert (done.entries, done.points) == (len(expected), sum(a for _, a in expected))
    again = bulk.credit_orders(conn, two, facts, DAY0 + timedelta(days=2), tiers)
    assert (again.entries, again.points) == (0, 0)  # keys taken: a rerun writes nothing
    assert check(conn, two.id).ok


def test_a_pass_counts_caps_across_batches(conn: Connection, session: Session) -> None:
    book = make_book(conn, earn=RULES)
    ann = member(session)
    for hour in range(3):
        order(session, ann, "1.00", DAY0 + timedelta(hours=hour))
    session.flush()
    first = orders.earn_orders(conn, book, DAY0 + timedelta(minutes=30))
    rest = orders.earn_orders(conn, book, DAY0 + timedelta(days=1))
    # base 1 each; visit 7, then 3 (day cap 10), then 0
    assert (first.points, rest.points) == (1 + 7, 2 + 3)
