"""Programmes, members and orders for the loyalty tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tenure.domains.loyalty import programmes
from tenure.domains.loyalty.definition import Programme
from tenure.domains.loyalty.earning import LineFacts, OrderFacts
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.service import book as load_book
from tests.factories import make_customer, make_order

DAY0 = datetime(2026, 1, 5, 12, tzinfo=UTC)  # a Monday


def make_book(conn: Connection, **definition: Any) -> Book:
    """Apply a programme (1 point per 1.00 by default) and return it ready for the ledger."""
    data: dict[str, Any] = {
        "key": "stars",
        "name": "Stars",
        "earn": [{"key": "base", "per_unit": 1}],
        "rewards": [{"key": "coffee", "name": "A coffee", "price": 50}],
    }
    data.update(definition)
    programme = Programme.model_validate(data)
    programmes.apply(conn, programme, "test", DAY0)
    return load_book(conn, programme.key)


def member(session: Session) -> int:
    """A new customer's id."""
    return make_customer(session).id


def order(
    session: Session,
    customer_id: int,
    amount: str,
    at: datetime = DAY0,
    *,
    lines: tuple[LineFacts, ...] = (),
    channel: str | None = None,
) -> OrderFacts:
    """A paid order in the store and its facts for earning."""
    from tenure.domains.customers.models import Customer

    customer = session.get(Customer, customer_id)
    assert customer is not None
    stored = make_order(session, customer=customer, amount=amount, ordered_at=at)
    return OrderFacts(
        order_id=stored.id,
        customer_id=customer_id,
        ordered_at=at,
        amount=Decimal(amount),
        channel=channel,
        lines=lines,
    )
