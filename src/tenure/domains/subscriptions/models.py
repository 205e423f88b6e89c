"""ORM model of a subscription contract."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped
from tenure.storage.types import Money


class SubscriptionStatus(StrEnum):
    """Contract states that subscription businesses map onto lifecycle stages."""

    TRIAL = "trial"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"


class Subscription(Timestamped, Base):
    """One contract: a plan billed monthly or annually, from start until cancelled."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    plan: Mapped[str] = mapped_column(String(64))
    billing_period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    mrr: Mapped[Decimal] = mapped_column(Money())
    started_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
