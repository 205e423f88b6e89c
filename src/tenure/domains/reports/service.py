"""The store overview shown on the first page and by ``tenure demo``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from tenure.domains.reports import repository as repo
from tenure.domains.reports.schemas import ChannelRow, MonthRow, StoreOverview


def store_overview(conn: Connection) -> StoreOverview:
    """Summarise what the store holds."""
    months = [MonthRow(month=m, orders=n, revenue=r) for m, n, r in repo.monthly_rows(conn)]
    return StoreOverview(
        counts=repo.table_counts(conn),
        channels=[
            ChannelRow(channel=c, customers=n, buyers=b, spend=s)
            for c, n, b, s in repo.channel_rows(conn)
        ],
        months=months,
        first_order=months[0].month if months else None,
        last_order=months[-1].month if months else None,
        paid_revenue=sum((m.revenue for m in months), Decimal("0.00")),
    )


def overview_from_run(conn: Connection, kpis: dict[str, Any]) -> StoreOverview:
    """Summarise the store from a scoring run's KPIs: fast at any size.

    Counting and summing tens of millions of rows on every page view took seconds on a
    million-customer PostgreSQL store; the run has those figures already. Only customers per
    channel are counted (an index scan).
    """
    months = [
        MonthRow(month=m["month"], orders=m["orders"], revenue=Decimal(str(m["revenue"])))
        for m in kpis["monthly"]
    ]
    per_channel = repo.customers_per_channel(conn)
    channels = [
        ChannelRow(
            channel=row["channel"],
            customers=per_channel.get(row["channel"], row["new_customers"]),
            buyers=row["new_customers"],
            spend=Decimal(str(row["spend"])).quantize(Decimal("0.01")),
        )
        for row in kpis["channels"]["total"]
    ]
    bought = [m for m in months if m.orders]
    return StoreOverview(
        counts={"customers": kpis["base"]["customers"], "orders": sum(m.orders for m in months)},
        channels=channels,
        months=months,
        first_order=bought[0].month if bought else None,
        last_order=bought[-1].month if bought else None,
        paid_revenue=sum((m.revenue for m in months), Decimal("0.00")),
    )
