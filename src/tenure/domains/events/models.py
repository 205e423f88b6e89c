"""ORM models of the event feed: every customer event, whoever caused it, and readers' cursors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
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


class SystemEventType(StrEnum):
    """What Tenure and the people using it do to a customer: written by Tenure alone.

    The one vocabulary every trigger reads; an import or an API client cannot send these.
    """

    STAGE_CHANGED = "stage_changed"
    SCORE_CROSSED = "score_crossed"
    TASK_COMPLETED = "task_completed"
    MESSAGE_SENT = "message_sent"
    SURVEY_ANSWERED = "survey_answered"
    TIER_CHANGED = "tier_changed"
    SEGMENT_CHANGED = "segment_changed"


class EventSource(StrEnum):
    """Who put an event in the feed."""

    IMPORT = "import"  # a file (tenure import, the demo)
    API = "api"  # another system through POST /api/v1/events
    RUN = "run"  # a scoring run (stage changes, scores crossing a line)
    PLAYBOOK = "playbook"  # a playbook's step (a message sent)
    PERSON = "person"  # someone using Tenure (a task completed)
    CUSTOMER = "customer"  # the customer themself (a survey answered on its public page)


class Event(Base):
    """Something that happened to a customer at a moment, in one feed with one vocabulary.

    ``external_id`` makes ingestion idempotent. ``tx`` orders the feed for its readers: on
    PostgreSQL the id of the transaction that wrote the row, so a reader can wait for
    transactions still open (ids are handed out before commit, and commits come in any
    order); on SQLite 0, since one writer at a time commits ids in order.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_customer_id_occurred_at", "customer_id", "occurred_at"),
        Index("ix_events_tx_id", "tx", "id"),
        # a reader of some types walks them in feed order; a lookup by type alone uses it too
        Index("ix_events_type_tx_id", "type", "tx", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any] | None]
    source: Mapped[str] = mapped_column(
        String(16), default=EventSource.IMPORT.value, server_default=EventSource.IMPORT.value
    )
    # the migration gives PostgreSQL its own default: the writing transaction's id
    tx: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class FeedCursor(Base):
    """How far one reader of the feed (a trigger, a consumer) has read: the last (tx, id)."""

    __tablename__ = "feed_cursors"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    tx: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]
