"""ORM models of playbooks and their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped


class PlaybookStatus(StrEnum):
    """Active playbooks enroll; paused ones enroll nobody new (running enrollments wait)."""

    ACTIVE = "active"
    PAUSED = "paused"


class PlaybookRecord(Timestamped, Base):
    """A playbook by name: whether it runs, and which published version new enrollments get."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PlaybookStatus.ACTIVE.value)
    current_version: Mapped[int] = mapped_column(default=1)


class PlaybookVersion(Base):
    """One published version: never changed; editing a playbook publishes the next one.

    Enrollments keep the version they started on, so an edit never changes a journey midway.
    """

    __tablename__ = "playbook_versions"
    __table_args__ = (UniqueConstraint("playbook_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id"), index=True)
    version: Mapped[int]
    definition: Mapped[dict[str, Any]]  # the checked playbook, as data
    source: Mapped[str] = mapped_column(Text)  # the YAML as its author wrote it
    checksum: Mapped[str] = mapped_column(String(64))  # of the definition: unchanged or not
    published_at: Mapped[datetime]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
