"""ORM model of a task: something a person should do about a customer, by a day."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped


class TaskStatus(StrEnum):
    """Open until someone completes it with an outcome."""

    OPEN = "open"
    DONE = "done"


class RootCause(StrEnum):
    """Why a customer was lost, as the person who completes a win-back task judges it."""

    PRODUCT = "product"
    SERVICE = "service"
    PRICE = "price"
    OTHER = "other"


class Task(Timestamped, Base):
    """A follow-up for one customer, assigned to a user (by default the customer's owner)."""

    __tablename__ = "tasks"
    # "my tasks": a user's open tasks by due day
    __table_args__ = (
        Index("ix_tasks_assignee_id_status_due_on", "assignee_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(String(2000))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN.value)
    outcome: Mapped[str | None] = mapped_column(String(500))
    completed_at: Mapped[datetime | None]
    # what made it: "person", or a playbook's name once playbooks create tasks
    source: Mapped[str] = mapped_column(String(100), default="person")
    # steps to tick off: [{"text": "Call them", "done": false}, …] (a playbook's checklist)
    checklist: Mapped[list[dict[str, Any]] | None]
    # completing it needs a root cause (RootCause): a win-back task asks why they left
    requires_root_cause: Mapped[bool] = mapped_column(default=False, server_default=false())
    root_cause: Mapped[str | None] = mapped_column(String(16))
