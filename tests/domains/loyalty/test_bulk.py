"""Set-based earning gives what earning order by order gives, caps and tiers included."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import bulk, orders, service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.earning import LineFacts, OrderFacts
from tenure.domains.loyalty.models import LoyaltyEntry
from tenure.domains.orders.models import Order, OrderLine
from tests.domains.loyalty.helpers import DAY0, make_book, member, order

RULES = [
    {"key": "base", "per_unit": 1, "multipliers": {"gold": 2}},
    {"key": "visit", "per_order": 7, "cap_day": 10, "cap_month": 15},
]


def _ledger(conn: Connection, programme_id: int) -> list[tuple[str, int]]:
    return [(k, a) for k, a, _ in _entries(conn, programme_id)]


def _entries(conn: Connection, programme_id: int) -> list[tuple[str, int, Decimal | None]]:
    """Each entry's key, amount and basis (the order's amount a refund is shared against)."""
    rows = conn.execute(
        select(LoyaltyEntry.key, LoyaltyEntry.amount, LoyaltyEntry.basis)
        .where(LoyaltyEntry.programme_id == programme_id)
        .order_by(LoyaltyEntry.key)
    )
    return [(str(k), int(a), b) for k, a, b in rows]


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


MIXED = [
    {"key": "base", "per_unit": "1.25", "multipliers": {"gold": "1.5"}},
    {"key": "coffee", "per_unit": 1, "lines": {"field": "category", "op": "=", "value": "coffee"}},
    {"key": "big", "per_order": 20, "min_amount": 100, "cap_month": 30},
    {
        "key": "web",
        "per_order": 7,
        "when": {"field": "channel", "op": "=", "value": "web"},
        "cap_day": 10,
        "cap_month": 15,
    },
]
TIERS = {"levels": [{"key": "gold", "name": "Gold", "enter": 100}]}


def _stored(
    session: Session, who: int, amount: str, at: datetime, channel: str | None, coffee: str
) -> OrderFacts:
    facts = order(
        session,
        who,
        amount,
        at,
        channel=channel,
        lines=(
            LineFacts("coffee", "c1", "Coffee", 2, Decimal(coffee)),
            LineFacts("tea", "t1", "Tea", 1, Decimal("1.10")),
        ),
    )
    stored = session.get(Order, facts.order_id)
    assert stored is not None
    stored.channel = channel
    for n, line in enumerate(facts.lines):
        session.add(
            OrderLine(
                order_id=facts.order_id,
                line_no=n + 1,
                product_id=line.product_id,
                product_name=line.product_name,
                category=line.category,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
        )
    return facts


def test_the_set_path_earns_what_order_by_order_earns(conn: Connection, session: Session) -> None:
    """Rates with decimals, line and order filters, tiers, day and month caps, two passes."""
    one = make_book(conn, key="one", earn=MIXED, tiers=TIERS)
    two = make_book(conn, key="two", earn=MIXED, tiers=TIERS)
    ann, bob = member(session), member(session)
    facts = [
        _stored(session, who, amount, DAY0 + timedelta(hours=h), channel, coffee)
        for who, amount, h, channel, coffee in [
            (ann, "120.30", 0, "web", "3.35"),
            (ann, "101.01", 1, "web", "0.01"),
            (ann, "99.99", 2, None, "2.50"),
            (bob, "150.00", 3, "web", "4.99"),
            (ann, "100.00", 26, "web", "1.00"),
            (ann, "250.00", 50, "web", "7.77"),
            (bob, "7.00", 51, "shop", "0.49"),
        ]
    ]
    session.flush()
    tiers = {bob: "gold"}
    for fact in facts:
        service.earn_order(conn, one, fact, tier=tiers.get(fact.customer_id))
    # two passes: caps count what the first wrote
    first = orders.earn_orders(conn, two, DAY0 + timedelta(hours=1, minutes=30), tiers=tiers)
    rest = orders.earn_orders(conn, two, DAY0 + timedelta(days=3), tiers=tiers)
    expected = _ledger(conn, one.id)
    assert _ledger(conn, two.id) == expected
    # the basis to the cent as well: a partial refund takes back points in its proportion
    assert [e[2] for e in _entries(conn, two.id)] == [e[2] for e in _entries(conn, one.id)]
    assert first.points + rest.points == sum(a for _, a in expected)
    assert (first.orders, rest.orders) == (2, 5)
    # by hand, ann's first order: base ⌊120.30 × 1.25⌋ = 150, coffee ⌊6.70⌋ = 6, big 20, web 7
    assert [a for k, a in expected if k.startswith(f"order:{facts[0].order_id}:")] == [
        150,
        20,
        6,
        7,
    ]
    again = orders.earn_orders(conn, two, DAY0 + timedelta(days=3), tiers=tiers)
    assert (again.earned, again.points) == (0, 0)
    assert check(conn, two.id).ok
