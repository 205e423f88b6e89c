"""ORM models of playbooks and their immutable published versions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false, text
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


class EnrollmentStatus(StrEnum):
    """Where an enrollment stands: running, or how it ended."""

    ACTIVE = "active"  # steps to run, a wait, or its goal's window still open
    CONVERTED = "converted"  # the goal was reached
    COMPLETED = "completed"  # every step ran (and the goal's window closed without it)
    EXITED = "exited"  # an exit step, or the conditions stopped holding
    FAILED = "failed"  # a step could not run; ``reason`` says why


class Enrollment(Base):
    """A customer's journey through one version of a playbook.

    Waiting costs a row: ``next_at`` is when the worker next looks at it. A holdout
    enrollment runs no step; it is followed only to see whether its goal is reached.
    """

    __tablename__ = "enrollments"
    __table_args__ = (
        # the due queue, in the order workers take it (ORDER BY next_at, id LIMIT n)
        Index("ix_enrollments_status_next_at_id", "status", "next_at", "id"),
        Index("ix_enrollments_playbook_id_customer_id", "playbook_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id"))
    version: Mapped[int]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    holdout: Mapped[bool]
    # held out of every marketing playbook (the global control group): runs no step, and
    # counts for the programme's lift, not in this playbook's comparison
    global_control: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(default=0)  # the index of the next step to run
    seq: Mapped[int] = mapped_column(default=0)  # steps run so far: part of each step's key
    next_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]  # a wait_for step: since when it waits
    enrolled_at: Mapped[datetime]
    goal_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(32))  # which trigger, or "manual"
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # the event that enrolled


class StepRun(Base):
    """One step an enrollment ran: its key (enrollment, seq) makes running it twice impossible."""

    __tablename__ = "step_runs"
    __table_args__ = (UniqueConstraint("enrollment_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    seq: Mapped[int]
    step_id: Mapped[str] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None]
    at: Mapped[datetime]


class DryRunRecord(Base):
    """A dry run on history someone asked for: queued, running, then done (its figures) or failed.

    The worker that walks it holds it until ``lease_until`` and renews the lease as it goes; a
    dry run whose worker died is taken over by the next one.
    """

    __tablename__ = "playbook_dry_runs"
    __table_args__ = (Index("ix_playbook_dry_runs_playbook_id", "playbook", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(63))
    first_day: Mapped[date]
    last_day: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    result: Mapped[dict[str, Any] | None]  # the figures (dry_run_figures), once done
    error: Mapped[str | None] = mapped_column(String(2000))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
