"""Shapes of the store overview."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel


class ChannelRow(BaseModel):
    """Customers and buyers acquired through one channel, and what it cost."""

    channel: str
    customers: int
    buyers: int
    spend: Decimal


class MonthRow(BaseModel):
    """Paid orders and revenue in one calendar month (UTC)."""

    month: str
    orders: int
    revenue: Decimal


class StoreOverview(BaseModel):
    """What the store holds: row counts, channels, monthly revenue, the covered period."""

    counts: dict[str, int]
    channels: list[ChannelRow]
    months: list[MonthRow]
    first_order: str | None
    last_order: str | None
    paid_revenue: Decimal
