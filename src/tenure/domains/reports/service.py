"""The store overview shown on the first page and by ``tenure demo``."""

from __future__ import annotations

from decimal import Decimal

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
