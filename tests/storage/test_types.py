"""Money stays exact and times stay UTC on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.domains.customers.models import Customer
from tenure.domains.orders.models import Order
from tests.factories import make_customer, make_order


@pytest.mark.parametrize("amount", ["0.10", "0.30", "19.99", "1234567.89", "9999999999999.99"])
def test_money_round_trips_exactly(session: Session, amount: str) -> None:
    order = make_order(session, customer=make_customer(session), amount=amount)
    session.expire_all()
    stored = session.get(Order, order.id)
    assert stored is not None
    assert stored.amount == Decimal(amount)
    assert isinstance(stored.amount, Decimal)


def test_times_come_back_aware_in_utc(session: Session) -> None:
    shanghai = timezone(timedelta(hours=8))
    order = make_order(
        session,
        customer=make_customer(session),
        ordered_at=datetime(2024, 3, 1, 8, 30, tzinfo=shanghai),
    )
    session.expire_all()
    stored = session.get(Order, order.id)
    assert stored is not None
    assert stored.ordered_at == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    assert stored.ordered_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session: Session) -> None:
    customer = make_customer(session)
    session.add(
        Order(
            external_id="naive",
            customer_id=customer.id,
            ordered_at=datetime(2024, 1, 1),
            amount=Decimal("1.00"),
        )
    )
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_json_tags_round_trip(session: Session) -> None:
    customer = make_customer(session, tags=["vip", "老客户"])
    session.expire_all()
    stored = session.scalars(select(Customer).where(Customer.id == customer.id)).one()
    assert stored.tags == ["vip", "老客户"]
