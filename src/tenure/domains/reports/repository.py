"""Queries behind the store overview."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, func, select

from tenure.domains.registry import metadata

COUNTED = (
    "customers",
    "orders",
    "order_lines",
    "events",
    "survey_responses",
    "marketing_spend",
    "subscriptions",
    "users",
)


def table_counts(conn: Connection) -> dict[str, int]:
    """Return the row count of every counted table."""
    tables = metadata().tables
    return {
        name: int(conn.execute(select(func.count()).select_from(tables[name])).scalar_one())
        for name in COUNTED
    }


def channel_rows(conn: Connection) -> list[tuple[str, int, int, Decimal]]:
    """Return (channel, customers, buyers, spend) for every acquisition channel."""
    t = metadata().tables
    customers, orders, spend = t["customers"], t["orders"], t["marketing_spend"]
    # EXISTS probes each customer's orders through their index; a join to the distinct
    # buyers ran for minutes on PostgreSQL at a million customers
    bought = (
        select(orders.c.id)
        .where(orders.c.customer_id == customers.c.id, orders.c.status == "paid")
        .exists()
    )
    channel = func.coalesce(customers.c.acquisition_channel, "(unknown)")
    rows = conn.execute(
        select(channel, func.count(), func.count().filter(bought))
        .group_by(channel)
        .order_by(func.count().desc())
    ).all()
    costs = dict(
        conn.execute(
            select(spend.c.channel, func.sum(spend.c.amount)).group_by(spend.c.channel)
        ).all()
    )
    return [
        (str(ch), int(n), int(b), Decimal(str(costs.get(ch) or 0)).quantize(Decimal("0.01")))
        for ch, n, b in rows
    ]


def monthly_rows(conn: Connection) -> list[tuple[str, int, Decimal]]:
    """Return (YYYY-MM, paid orders, revenue) per month, oldest first."""
    orders = metadata().tables["orders"]
    if conn.dialect.name == "sqlite":
        month = func.substr(orders.c.ordered_at, 1, 7)
    else:
        month = func.to_char(func.timezone("UTC", orders.c.ordered_at), "YYYY-MM")
    rows = conn.execute(
        select(month, func.count(), func.sum(orders.c.amount))
        .where(orders.c.status == "paid")
        .group_by(month)
        .order_by(month)
    ).all()
    return [(str(m), int(n), Decimal(str(r or 0)).quantize(Decimal("0.01"))) for m, n, r in rows]


def customers_per_channel(conn: Connection) -> dict[str, int]:
    """Return how many customers came through each acquisition channel."""
    customers = metadata().tables["customers"]
    channel = customers.c.acquisition_channel
    rows = conn.execute(select(channel, func.count()).group_by(channel)).all()
    return {str(c) if c is not None else "(unknown)": int(n) for c, n in rows}
