"""ORM model of a customer event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class EventType(StrEnum):
    """Event types Tenure knows the meaning of; others are stored and counted as they are."""

    LOGIN = "login"
    PAGE_VIEW = "page_view"
    FEATURE_USE = "feature_use"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    SUPPORT_TICKET = "support_ticket"
    COMPLAINT = "complaint"
    SUBSCRIPTION_STARTED = "subscription_started"
    SUBSCRIPTION_RENEWED = "subscription_renewed"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled"


class Event(Base):
    """Something a customer did at a moment; ``external_id`` makes ingestion idempotent."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_customer_id_occurred_at", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    properties: Mapped[dict[str, Any] | None]
