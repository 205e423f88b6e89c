"""Record every change with who made it, and read the log back (admins only, in the app).

Each service that changes something calls ``record`` in the same transaction as the change,
so the log and the data never disagree: both are committed or neither is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from tenure.domains.audit.models import AuditEntry
from tenure.domains.users.models import User
from tenure.kit.timeutil import utcnow
from tenure.storage.rows import plain_rows


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and through which door: web, api, cli or system."""

    user_id: int | None
    via: str


SYSTEM = Actor(None, "system")


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON can keep it (dates and money as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return only the fields whose value differs, as (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one entry of the audit log in the caller's transaction."""
    record_many(conn, actor, action, entity, [(entity_id, before, after)])


def record_many(
    conn: Connection,
    actor: Actor,
    action: str,
    entity: str,
    changes: list[tuple[object, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Write one entry per (entity id, before, after) in one statement (a batch's changes)."""
    if not changes:
        return
    at = utcnow()
    conn.execute(
        insert(AuditEntry),
        [
            {
                "at": at,
                "user_id": actor.user_id,
                "via": actor.via,
                "action": action,
                "entity": entity,
                "entity_id": None if entity_id is None else str(entity_id),
                "before": _plain(before),
                "after": _plain(after),
            }
            for entity_id, before, after in changes
        ],
    )


def entries(
    conn: Connection,
    *,
    before_id: int | None = None,
    limit: int = 100,
    entity: str | None = None,
    entity_id: object = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Return the newest entries (before ``before_id``) with the user's email, and the cursor."""
    query = (
        select(AuditEntry.__table__, User.email.label("user_email"))
        .outerjoin(User, User.id == AuditEntry.user_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    rows = plain_rows(conn.execute(query).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)
