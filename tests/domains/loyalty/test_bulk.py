"""Set-based earning gives what earning order by order gives, caps and tiers included."""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import bulk, ledger, orders, service
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.earning import LineFacts, OrderFacts
from tenure.domains.loyalty.models import LoyaltyAccount, LoyaltyAllocation, LoyaltyEntry
from tenure.domains.orders.models import Order, OrderLine
from tenure.kit.errors import Conflict
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


def _normal(conn: Connection, programme_id: int) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """The programme's entries and allocations with entry ids written as the keys they hold.

    Expiries and reversals name a lot by id (``expire:<lot>``); two programmes' ids differ.
    """
    rows = conn.execute(
        select(
            LoyaltyEntry.id,
            LoyaltyAccount.customer_id,
            LoyaltyEntry.key,
            LoyaltyEntry.kind,
            LoyaltyEntry.amount,
            LoyaltyEntry.occurred_at,
        )
        .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyEntry.account_id)
        .where(LoyaltyEntry.programme_id == programme_id)
    ).all()
    keys = {int(r[0]): str(r[2]) for r in rows}

    def named(key: str) -> str:
        head, _, last = key.rpartition(":")
        return f"{head}:{keys[int(last)]}" if key.startswith(("expire:", "refund:")) else key

    entries = sorted((c, named(k), kind, a, at) for _, c, k, kind, a, at in rows)
    allocations = conn.execute(
        select(LoyaltyAllocation.draw_id, LoyaltyAllocation.lot_id, LoyaltyAllocation.amount)
    ).all()
    return entries, sorted(
        (named(keys[d]), named(keys[lot]), a) for d, lot, a in allocations if d in keys
    )


def test_the_set_expiry_writes_what_account_by_account_writes(
    conn: Connection, session: Session
) -> None:
    """Random orders, a partial refund, a redemption, expiries at two dates: the same ledger.

    ``two`` earns and expires set-based (its first pass into an empty ledger: the indexes
    built after), ``one`` order by order and account by account (``ledger.expire_due``).
    """
    rng = random.Random(7)
    terms = {"pending_days": 2, "expiry": {"policy": "lot_days", "days": 10}}
    two = make_book(conn, key="two", **terms)
    one = make_book(conn, key="one", **terms)
    people = [member(session) for _ in range(4)]
    facts = sorted(
        (
            order(
                session,
                rng.choice(people),
                f"{rng.randint(1, 90)}.{rng.randint(0, 99):02d}",
                DAY0 + timedelta(hours=rng.randint(0, 24 * 30)),
            )
            for _ in range(14)
        ),
        key=lambda f: (f.ordered_at, f.order_id),
    )
    session.flush()
    moments = [DAY0 + timedelta(days=d) for d in (15, 20, 45)]
    refunded = facts[0]
    for book in (two, one):
        done = DAY0 - timedelta(days=1)
        for step, at in enumerate(moments):
            if book is two:
                orders.earn_orders(conn, book, at)
            else:
                for fact in facts:
                    if done < fact.ordered_at <= at:
                        service.earn_order(conn, book, fact)
            done = at
            if step == 0:
                service.refund_order(
                    conn,
                    book,
                    order_id=refunded.order_id,
                    customer_id=refunded.customer_id,
                    key="half",
                    amount=refunded.amount / 2,
                    at=at,
                )
                with contextlib.suppress(Conflict):
                    service.redeem(
                        conn, book, customer_id=facts[-1].customer_id, key="r", at=at, amount=3
                    )
            if book is two:
                service.expire(conn, book, at)
            else:
                for account, _customer in repo.accounts(conn, book.id):
                    repo.lock_account(conn, account, at)
                    ledger.expire_due(conn, book, account, at)
    expected = _normal(conn, one.id)
    assert _normal(conn, two.id) == expected
    assert any(k.startswith("expire:") for _, k, *_ in expected[0])
    assert check(conn, two.id).ok
