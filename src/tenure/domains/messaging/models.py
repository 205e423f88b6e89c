"""ORM model of the outbox: every email Tenure was asked to send, and what became of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class MessageStatus(StrEnum):
    """Where a message stands.

    queued → sending → sent; a transient refusal returns it to queued (later), a permanent one
    fails it. ``unknown``: the sender stopped between handing it over and hearing back — it may
    or may not have gone, so it is never resent automatically. ``skipped``: refused at queue
    time (no address, no consent, over the cap), with the reason — or, still queued, displaced
    by a higher-priority playbook's message under the cap (``displaced_by:<source>``).
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


class MessageCategory(StrEnum):
    """Marketing mail needs consent and counts against the cap; service mail does neither."""

    MARKETING = "marketing"
    SERVICE = "service"


class Message(Base):
    """One email in the outbox, rendered when it was queued.

    ``key`` is the caller's idempotency key (queueing twice returns the first row). While a
    message is ``sending``, ``next_attempt_at`` is when its claim runs out (the lease); while
    ``queued``, when it may go (the next opening of the send window, or a retry).
    """

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    category: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(8))
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    unsubscribe_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(100))
    # the playbook's priority (None: not from a playbook): who gives way under the cap
    priority: Mapped[int | None]
    transport_id: Mapped[str | None] = mapped_column(String(255))
