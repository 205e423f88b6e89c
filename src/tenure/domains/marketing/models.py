"""ORM model of marketing spend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped
from tenure.storage.types import Money


class MarketingSpend(Timestamped, Base):
    """Money spent on one channel over one period (both ends inclusive)."""

    __tablename__ = "marketing_spend"
    __table_args__ = (UniqueConstraint("channel", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD")
