"""ORM models of user-defined segments and their current members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped


class Segment(Timestamped, Base):
    """A saved segment: who belongs is decided by its filter tree (docs/segments.md)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    filter: Mapped[dict[str, Any]]
    members: Mapped[int] = mapped_column(default=0)  # at the last refresh
    refreshed_at: Mapped[datetime | None]


class SegmentMember(Base):
    """A customer in a segment, as of the segment's last refresh."""

    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id"), primary_key=True, index=True
    )
