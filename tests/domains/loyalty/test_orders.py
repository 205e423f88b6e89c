"""Earning driven by the store's orders: paid orders earn once, refunded ones are taken back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, update
from sqlalchemy.orm import Session

from tenure.domains.loyalty import orders, programmes, service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.definition import Currency
from tenure.domains.orders.models import Order, OrderLine
from tenure.kit.errors import InvalidInput
from tests.domains.loyalty.helpers import DAY0, make_book, member
from tests.factories import make_customer, make_order

PRESETS = Path(__file__).resolve().parents[3] / "src/tenure/domains/loyalty/presets"


def test_a_pass_earns_each_paid_order_once_and_reverses_refunds(
    conn: Connection, session: Session
) -> None:
    book = make_book(
        conn,
        earn=[
            {"key": "base", "per_unit": 1},
            {
                "key": "coffee",
                "per_unit": 1,
                "lines": {"field": "category", "op": "=", "value": "coffee"},
            },
            {
                "key": "uk",
                "per_order": 5,
                "when": {"field": "customer_country", "op": "=", "value": "UK"},
            },
        ],
    )
    who = make_customer(session)
    who.country = "UK"
    paid = make_order(session, customer=who, amount="42.50", ordered_at=DAY0)
    conn.execute(
        insert(OrderLine).values(
            order_id=paid.id, line_no=1, category="coffee", quantity=3, unit_price=Decimal("4.50")
        )
    )
    refunded = make_order(session, customer=who, amount="20.00", ordered_at=DAY0 + timedelta(1))
    make_order(session, customer=who, amount="9.00", status="cancelled", ordered_at=DAY0)
    later = make_order(session, customer=who, amount="99.00", ordered_at=DAY0 + timedelta(30))
    session.flush()
    until = DAY0 + timedelta(days=2)
    first = orders.run(conn, book, until)
    # 42 + ⌊13.50⌋ + 5 on the paid order, 20 + 5 on the second; the later one waits
    assert (first.orders, first.earned, first.points) == (2, 5, 42 + 13 + 5 + 20 + 5)
    again = orders.run(conn, book, until)
    assert (again.orders, again.earned) == (0, 0)
    conn.execute(update(Order).where(Order.id == refunded.id).values(status="refunded"))
    third = orders.run(conn, book, until)
    assert (third.refunds, third.reversed) == (1, 25)
    assert orders.run(conn, book, until).refunds == 0  # counted once
    assert service.balance(conn, book, who.id, until).total == 60
    assert later.id not in {e["order_id"] for e in service.statement(conn, book, who.id)}
    assert check(conn, book.id).ok


def test_orders_before_the_programme_starts_earn_nothing(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn, starts_on="2026-01-06")
    who = member(session)
    from tenure.domains.customers.models import Customer

    customer = session.get(Customer, who)
    assert customer is not None
    make_order(session, customer=customer, amount="10.00", ordered_at=DAY0)
    make_order(session, customer=customer, amount="11.00", ordered_at=DAY0 + timedelta(days=1))
    assert orders.run(conn, book, DAY0 + timedelta(days=2)).points == 11


def test_the_shipped_programme_is_valid_and_mistakes_name_their_line() -> None:
    [(programme, _)] = programmes.read_all(PRESETS)
    assert (programme.key, programme.expiry.days) == ("stars", 365)
    text = "key: stars\nname: Stars\nearn:\n  - key: base\n    per_unit: -1\n"
    with pytest.raises(InvalidInput, match=r"x.yaml, line 5: earn.0.per_unit: Input should be"):
        programmes.parse(text, "x.yaml")
    with pytest.raises(InvalidInput, match="earns nothing"):
        programmes.parse("key: s\nname: S\nearn:\n  - key: base\n", "x.yaml")
    with pytest.raises(InvalidInput, match="unknown time zone"):
        programmes.parse("key: s\nname: S\ntimezone: Mars/Olympus\n", "x.yaml")
    bad_field = (
        "key: s\nname: S\nearn:\n"
        "  - {key: a, per_order: 1, when: {field: nope, op: '=', value: 1}}\n"
    )
    with pytest.raises(InvalidInput, match="nope"):
        programmes.parse(bad_field, "x.yaml")


def test_applying_again_versions_only_a_change(conn: Connection) -> None:
    [(programme, source)] = programmes.read_all(PRESETS)
    assert programmes.apply(conn, programme, source, DAY0).outcome == "created"
    assert programmes.apply(conn, programme, source, DAY0).outcome == "unchanged"
    changed = programme.model_copy(update={"pending_days": 14})
    assert programmes.apply(conn, changed, source, DAY0).__dict__ == {
        "key": "stars",
        "version": 2,
        "outcome": "updated",
    }
    cashback = programme.model_copy(update={"currency": Currency.CASHBACK})
    with pytest.raises(InvalidInput, match="currency"):
        programmes.apply(conn, cashback, source, DAY0)
