"""Workers' leases and the schedule's slots: every query on their two tables.

A worker holds a lease that it renews while it works; a worker that dies (kill -9, a lost
machine) simply stops renewing, and once its lease has run out the others treat it as gone.
Times come from the caller's clock, never from the database's, so tests can freeze them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, delete, insert, select, update

from tenure.domains.scheduling.models import ScheduleSlot, WorkerLease
from tenure.storage.upsert import insert_new

SLOTS: Table = ScheduleSlot.__table__  # type: ignore[assignment]  # a mapped class's Table


@dataclass(frozen=True)
class LiveWorker:
    """A worker whose lease has not run out."""

    worker_id: str
    host: str
    pid: int
    started_at: datetime
    expires_at: datetime


def live_workers(conn: Connection, now: datetime) -> list[LiveWorker]:
    """Return the workers alive at ``now``, oldest first."""
    rows = conn.execute(
        select(
            WorkerLease.worker_id,
            WorkerLease.host,
            WorkerLease.pid,
            WorkerLease.started_at,
            WorkerLease.expires_at,
        )
        .where(WorkerLease.expires_at > now, WorkerLease.stopped_at.is_(None))
        .order_by(WorkerLease.started_at)
    ).all()
    return [LiveWorker(*row) for row in rows]


def register(
    conn: Connection,
    worker_id: str,
    host: str,
    pid: int,
    now: datetime,
    ttl: timedelta,
    *,
    alone: bool,
) -> LiveWorker | None:
    """Take a lease for a new worker; return None, or with ``alone`` the worker already alive.

    ``alone`` (SQLite) refuses a second live worker: call it inside a write transaction so
    that two workers starting at once cannot both find the store free.
    """
    if alone:
        others = [w for w in live_workers(conn, now) if w.worker_id != worker_id]
        if others:
            return others[0]
    conn.execute(
        insert(WorkerLease).values(
            worker_id=worker_id,
            host=host,
            pid=pid,
            started_at=now,
            renewed_at=now,
            expires_at=now + ttl,
        )
    )
    return None


def renew(conn: Connection, worker_id: str, now: datetime, ttl: timedelta) -> bool:
    """Extend a worker's lease; False if it had already run out (others may have taken over)."""
    renewed = conn.execute(
        update(WorkerLease)
        .where(
            WorkerLease.worker_id == worker_id,
            WorkerLease.stopped_at.is_(None),
            WorkerLease.expires_at > now,
        )
        .values(renewed_at=now, expires_at=now + ttl)
    ).rowcount
    return bool(renewed)


def release(conn: Connection, worker_id: str, now: datetime) -> None:
    """Record that a worker stopped cleanly: its lease ends now."""
    conn.execute(
        update(WorkerLease)
        .where(WorkerLease.worker_id == worker_id)
        .values(stopped_at=now, expires_at=now)
    )


def forget_stopped(conn: Connection, before: datetime) -> int:
    """Delete the leases of workers gone before ``before``; return how many."""
    stale = conn.execute(delete(WorkerLease).where(WorkerLease.expires_at < before)).rowcount
    return int(stale)


def last_slot(conn: Connection, job: str) -> datetime | None:
    """Return the latest slot of ``job`` that was started, if any."""
    found = conn.execute(select(ScheduleSlot.last_slot).where(ScheduleSlot.job == job)).first()
    return None if found is None else found[0]


def take_slot(conn: Connection, job: str, slot: datetime, now: datetime) -> bool:
    """Claim ``slot`` of ``job``: True for exactly one caller, and only once per slot.

    The job's first slot is an insert that skips a row already there (ON CONFLICT DO
    NOTHING); every later one a conditional update. Either way one caller wins.
    """
    row = {"job": job, "last_slot": slot, "updated_at": now}
    if insert_new(conn, SLOTS, [row], "job"):
        return True
    moved = conn.execute(
        update(ScheduleSlot)
        .where(ScheduleSlot.job == job, ScheduleSlot.last_slot < slot)
        .values(last_slot=slot, updated_at=now)
    ).rowcount
    return bool(moved)
