"""ORM models of the workers that are alive (by their lease) and of the schedule's last slots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class WorkerLease(Base):
    """A worker process: alive while ``expires_at`` lies ahead (it renews it as it works).

    On SQLite only one worker may hold a live lease; on PostgreSQL several share the work.
    """

    __tablename__ = "worker_leases"

    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    renewed_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    stopped_at: Mapped[datetime | None]


class ScheduleSlot(Base):
    """The latest slot of a recurring job that has been started (e.g. the daily run at 02:00).

    Moving ``last_slot`` forward is a conditional update, so two workers cannot both start it.
    """

    __tablename__ = "schedule_slots"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_slot: Mapped[datetime]
    updated_at: Mapped[datetime]
