"""ORM model of one audited change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class AuditEntry(Base):
    """Who did what to which thing, when, with the changed fields before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    # None: the system itself (a scoring run, a playbook); else the user, signed in or by token
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(16))  # web, api, cli, system
    action: Mapped[str] = mapped_column(String(64))  # e.g. customer.update, task.complete
    entity: Mapped[str] = mapped_column(String(64))  # the table: customers, tasks, …
    entity_id: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
