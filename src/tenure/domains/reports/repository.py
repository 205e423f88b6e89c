"""Queries behind the store overview."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, func, select

from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event
from tenure.domains.marketing.models import MarketingSpend
from tenure.domains.orders.models import Order, OrderLine
from tenure.domains.subscriptions.models import Subscription
from tenure.domains.surveys.models import SurveyResponse
from tenure.domains.users.models import User
from tenure.storage.base import Base

# table name → its model
COUNTED: dict[str, type[Base]] = {
    "customers": Customer,
    "orders": Order,
    "order_lines": OrderLine,
    "events": Event,
    "survey_responses": SurveyResponse,
    "marketing_spend": MarketingSpend,
    "subscriptions": Subscription,
    "users": User,
}


def table_counts(conn: Connection) -> dict[str, int]:
    """Return the row count of every counted table."""
    return {
        name: int(conn.execute(select(func.count()).select_from(model)).scalar_one())
        for name, model in COUNTED.items()
    }


def channel_rows(conn: Connection) -> list[tuple[str, int, int, Decimal]]:
    """Return (channel, customers, buyers, spend) for every acquisition channel."""
    # EXISTS probes each customer's orders through their index; a join to the distinct
    # buyers ran for minutes on PostgreSQL at a million customers
    bought = (
        select(Order.id).where(Order.customer_id == Customer.id, Order.status == "paid").exists()
    )
    channel = func.coalesce(Customer.acquisition_channel, "(unknown)")
    rows = conn.execute(
        select(channel, func.count(), func.count().filter(bought))
        .group_by(channel)
        .order_by(func.count().desc())
    ).all()
    costs = dict(
        conn.execute(
            select(MarketingSpend.channel, func.sum(MarketingSpend.amount)).group_by(
                MarketingSpend.channel
            )
        ).all()
    )
    return [
        (str(ch), int(n), int(b), Decimal(str(costs.get(ch) or 0)).quantize(Decimal("0.01")))
        for ch, n, b in rows
    ]


def monthly_rows(conn: Connection) -> list[tuple[str, int, Decimal]]:
    """Return (YYYY-MM, paid orders, revenue) per month, oldest first."""
    if conn.dialect.name == "sqlite":
        month = func.substr(Order.ordered_at, 1, 7)
    else:
        month = func.to_char(func.timezone("UTC", Order.ordered_at), "YYYY-MM")
    rows = conn.execute(
        select(month, func.count(), func.sum(Order.amount))
        .where(Order.status == "paid")
        .group_by(month)
        .order_by(month)
    ).all()
    return [(str(m), int(n), Decimal(str(r or 0)).quantize(Decimal("0.01"))) for m, n, r in rows]


def customers_per_channel(conn: Connection) -> dict[str, int]:
    """Return how many customers came through each acquisition channel."""
    channel = Customer.acquisition_channel
    rows = conn.execute(select(channel, func.count()).group_by(channel)).all()
    return {str(c) if c is not None else "(unknown)": int(n) for c, n in rows}
