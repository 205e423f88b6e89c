"""Scoring runs asked for through the API or the web app: a queue in the store.

A request is committed as "queued" before any work starts, so the caller gets an id to poll
at once; a worker claims it (one conditional UPDATE: two workers cannot both win), runs it
and records the run's id, or the kind of failure that stopped it (``failures.py``) with its
plain-language reason in each language beside it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update

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
