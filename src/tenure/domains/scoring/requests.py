"""Scoring runs asked for through the API or the web app: a queue in the store.

A request is committed as "queued" before any work starts, so the caller gets an id to poll
at once; a worker claims it (one conditional UPDATE: two workers cannot both win), runs it
and records the run's id, or the kind of failure that stopped it (``failures.py``) with its
plain-language reason in each language beside it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, true, update

from tenure.domains.audit import service as audit
from tenure.domains.scoring import failures
from tenure.domains.scoring.models import RunRequest
from tenure.kit.errors import NotFound
from tenure.kit.timeutil import utcnow
from tenure.storage.base import table_of
from tenure.storage.rows import plain_row, plain_rows


def request_run(conn: Connection, actor: audit.Actor, as_of: date) -> int:
    """Queue a scoring run as of ``as_of``; return the request's id."""
    request_id = int(
        conn.execute(
            insert(RunRequest)
            .values(as_of=as_of, status="queued", requested_by=actor.user_id, requested_at=utcnow())
            .returning(RunRequest.id)
        ).scalar_one()
    )
    audit.record(conn, actor, "run.request", "run_requests", request_id, after={"as_of": as_of})
    return request_id


def claim(conn: Connection, request_id: int) -> date | None:
    """Mark a queued request running and return its day; None if another worker has it."""
    won = conn.execute(
        update(RunRequest)
        .where(RunRequest.id == request_id, RunRequest.status == "queued")
        .values(status="running", started_at=utcnow())
    ).rowcount
    if not won:
        return None
    return date.fromisoformat(str(get(conn, request_id)["as_of"]))


def finish(
    conn: Connection, request_id: int, *, run_id: int | None = None, error: str | None = None
) -> None:
    """Record how a request ended: the run it made, or the kind of failure that stopped it."""
    conn.execute(
        update(RunRequest)
        .where(RunRequest.id == request_id)
        .values(
            status="failed" if error else "done",
            finished_at=utcnow(),
            run_id=run_id,
            error=error,
        )
    )


def get(conn: Connection, request_id: int) -> dict[str, Any]:
    """Return one request: its day, status, times, run id, or failure and its reason."""
    row = (
        conn.execute(select(table_of(RunRequest)).where(RunRequest.id == request_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no run request with id {request_id}")
    return _explained(plain_row(row))


def recent(conn: Connection, limit: int = 10) -> list[dict[str, Any]]:
    """Return the latest requests, newest first."""
    rows = conn.execute(
        select(table_of(RunRequest)).order_by(RunRequest.id.desc()).limit(limit)
    ).mappings()
    return [_explained(row) for row in plain_rows(rows)]


def _explained(request: dict[str, Any]) -> dict[str, Any]:
    """Add the failure's reason in words; an error kept before kinds existed shows as one."""
    reason = failures.reason(request["error"])
    if reason is not None and request["error"] not in failures.REASONS:
        request["error"] = failures.UNEXPECTED  # the raw exception text of an older version
    return {**request, "reason": reason}


@dataclass(frozen=True)
class Claimed:
    """A run request a worker holds: which, as of which day, and which attempt this is."""

    request_id: int
    as_of: date
    attempt: int


def claim_next(
    conn: Connection, owner: str, now: datetime, lease: timedelta, max_attempts: int
) -> Claimed | None:
    """Take the oldest queued request, or one whose worker's lease ran out; None if none.

    A request that has already lost ``max_attempts`` workers (a run that kills its worker
    every time) is marked failed instead of being taken again. On PostgreSQL a candidate row
    is locked with SKIP LOCKED, so several workers pass over each other's rows; SQLite has
    one worker. The update re-checks the conditions, so a row cannot be taken twice.
    """
    claimable = or_(
        RunRequest.status == "queued",
        and_(RunRequest.status == "running", RunRequest.lease_until < now),
    )
    while True:
        pick = select(RunRequest.id, RunRequest.attempts).where(claimable)
        pick = pick.order_by(RunRequest.id).limit(1)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        row = conn.execute(pick).first()
        if row is None:
            return None
        request_id, attempts = int(row[0]), int(row[1])
        if attempts >= max_attempts:
            conn.execute(
                update(RunRequest)
                .where(RunRequest.id == request_id, claimable)
                .values(status="failed", finished_at=now, error=failures.WORKER_LOST)
            )
            continue
        taken = conn.execute(
            update(RunRequest)
            .where(RunRequest.id == request_id, claimable)
            .values(
                status="running",
                started_at=now,
                lease_owner=owner,
                lease_until=now + lease,
                attempts=RunRequest.attempts + 1,
            )
            .returning(RunRequest.as_of)
        ).first()
        if taken is not None:
            return Claimed(request_id, taken[0], attempts + 1)


@dataclass(frozen=True)
class Recovered:
    """What a starting worker did with the runs left "running" by workers that are gone."""

    requeued: list[int]
    given_up: list[int]


def recover_abandoned(
    conn: Connection,
    now: datetime,
    max_attempts: int,
    *,
    dead: Collection[str] = (),
    live: Collection[str] | None = None,
) -> Recovered:
    """Put back in the queue the "running" requests whose worker is gone; return which.

    Gone: its lease on the request ran out; or it never had a lease (a row of a version before
    leases, which nothing else would ever take again); or its worker is among ``dead`` (found
    dead by the caller); or — with ``live``, the ids of the workers alive now, given where one
    worker holds the store (SQLite) — no live worker holds it. A request that has already lost
    ``max_attempts`` workers is marked failed with the reason (``WORKER_LOST``) instead.
    """
    gone = [
        RunRequest.lease_until.is_(None),
        RunRequest.lease_owner.is_(None),
        RunRequest.lease_until < now,
    ]
    if dead:
        gone.append(RunRequest.lease_owner.in_(list(dead)))
    if live is not None:
        gone.append(RunRequest.lease_owner.not_in(list(live)) if live else true())
    abandoned = and_(RunRequest.status == "running", or_(*gone))
    rows = conn.execute(select(RunRequest.id, RunRequest.attempts).where(abandoned)).all()
    requeued = [int(r[0]) for r in rows if int(r[1]) < max_attempts]
    given_up = [int(r[0]) for r in rows if int(r[1]) >= max_attempts]
    if requeued:
        conn.execute(
            update(RunRequest)
            .where(RunRequest.id.in_(requeued), abandoned)
            .values(status="queued", lease_owner=None, lease_until=None)
        )
    if given_up:
        conn.execute(
            update(RunRequest)
            .where(RunRequest.id.in_(given_up), abandoned)
            .values(status="failed", finished_at=now, error=failures.WORKER_LOST)
        )
    return Recovered(requeued, given_up)


def renew_lease(
    conn: Connection, request_id: int, owner: str, now: datetime, lease: timedelta
) -> bool:
    """Extend the lease on a running request; False if another worker has taken it over."""
    renewed = conn.execute(
        update(RunRequest)
        .where(
            RunRequest.id == request_id,
            RunRequest.status == "running",
            RunRequest.lease_owner == owner,
        )
        .values(lease_until=now + lease)
    ).rowcount
    return bool(renewed)
