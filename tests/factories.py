"""Keyword-only factories for store rows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from tenure.domains.customers.models import Customer
from tenure.domains.orders.models import Order
from tenure.domains.users.models import User

_ids = itertools.count(1)


def make_customer(
    session: Session,
    *,
    external_id: str | None = None,
    email: str | None = None,
    acquisition_channel: str | None = "search_ads",
    tags: list[str] | None = None,
) -> Customer:
    n = next(_ids)
    customer = Customer(
        external_id=external_id or f"cust-{n}",
        email=email or f"c{n}@example.com",
        acquisition_channel=acquisition_channel,
        acquired_at=datetime(2024, 1, 1, tzinfo=UTC),
        tags=tags,
    )
    session.add(customer)
    session.flush()
    return customer


def make_order(
    session: Session,
    *,
    customer: Customer,
    amount: str = "10.00",
    ordered_at: datetime | None = None,
    status: str = "paid",
    external_id: str | None = None,
) -> Order:
    n = next(_ids)
    order = Order(
        external_id=external_id or f"ord-{n}",
        customer_id=customer.id,
        ordered_at=ordered_at or datetime(2024, 2, 1, 12, tzinfo=UTC),
        amount=Decimal(amount),
        status=status,
    )
    session.add(order)
    session.flush()
    return order


def settle_password(conn: Connection, email: str) -> None:
    """Mark a user's password as their own, not one-time, so their API tokens work.

    A user with a one-time password has their tokens refused (403); a service account is given
    a password first (``tenure users password``). This skips the slow hash of a real one.
    """
    conn.execute(
        update(User).where(User.email == email.strip().lower()).values(must_change_password=False)
    )
