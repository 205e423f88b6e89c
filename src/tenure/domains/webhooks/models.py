"""ORM model of the webhook outbox: one row per delivery, kept after it is sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class DeliveryStatus(StrEnum):
    """Where a delivery stands: waiting, being sent, received (2xx), or given up."""

    QUEUED = "queued"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Base):
    """A webhook to send: queued in the caller's transaction, sent at least once by a worker.

    ``key`` is the caller's idempotency key and the Standard Webhooks ``webhook-id``: the same
    on every attempt, so receivers drop duplicates. ``next_attempt_at`` is when a queued
    delivery is due and, while one is ``delivering``, when its worker's lease runs out (a
    worker killed mid-call leaves it to be sent again then).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
