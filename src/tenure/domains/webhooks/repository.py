"""Every query on the webhook outbox, and the signing secret kept in ``stored_settings``.

Claims follow the worker's rules (docs/worker.md): on PostgreSQL a candidate row is locked
with SKIP LOCKED so several workers pass over each other's rows; SQLite has one worker. The
update re-checks the claim's conditions, so no delivery is taken twice at once. Times come
from the caller's clock, never from the database's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tenure.domains.preferences.models import StoredSettings
from tenure.domains.webhooks.models import DeliveryStatus, WebhookDelivery
from tenure.kit.errors import NotFound
from tenure.storage.base import table_of
from tenure.storage.upsert import insert_new

SECRET_GROUP = "webhooks"  # noqa: S105 - a group name, not a password; the stored_settings row that keeps a generated signing secret
WORKER_LOST = "the worker sending it stopped (lease ran out) on its last attempt"


@dataclass(frozen=True)
class Delivery:
    """A delivery as listed: where it goes, how it stands, what the last attempt got."""

    id: int
    key: str
    url: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    source: str
    customer_id: int | None


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds for one attempt: what to send, and which attempt this is."""

    id: int
    key: str
    url: str
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    attempt: int


LISTED = (
    WebhookDelivery.id,
    WebhookDelivery.key,
    WebhookDelivery.url,
    WebhookDelivery.event_type,
    WebhookDelivery.status,
    WebhookDelivery.attempts,
    WebhookDelivery.next_attempt_at,
    WebhookDelivery.last_status_code,
    WebhookDelivery.last_error,
    WebhookDelivery.created_at,
    WebhookDelivery.delivered_at,
    WebhookDelivery.source,
    WebhookDelivery.customer_id,
)


def insert(conn: Connection, row: dict[str, Any]) -> int:
    """Insert a delivery unless its key exists (ON CONFLICT DO NOTHING); return the key's id."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(WebhookDelivery)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(WebhookDelivery.id)
    )
    new = conn.execute(statement).scalar_one_or_none()
    if new is not None:
        return int(new)
    return int(
        conn.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.key == row["key"])
        ).scalar_one()
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or being sent by a worker whose lease has run out."""
    return and_(
        WebhookDelivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.DELIVERING]),
        WebhookDelivery.next_attempt_at <= now,
    )


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether any delivery is due at ``now`` (a cheap read before claiming)."""
    found = conn.execute(select(WebhookDelivery.id).where(_due(now)).limit(1)).first()
    return found is not None


def claim_next(
    conn: Connection, now: datetime, lease: timedelta, max_attempts: int
) -> Claimed | None:
    """Take the delivery due longest, marking it delivering until ``now + lease``; None if none.

    A delivery whose worker died on its last allowed attempt is marked failed instead.
    """
    while True:
        pick = select(WebhookDelivery.id, WebhookDelivery.attempts).where(_due(now))
        pick = pick.order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(1)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        row = conn.execute(pick).first()
        if row is None:
            return None
        delivery_id, attempts = int(row[0]), int(row[1])
        if attempts >= max_attempts:
            conn.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, _due(now))
                .values(status=DeliveryStatus.FAILED, last_error=WORKER_LOST)
            )
            continue
        taken = conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, _due(now))
            .values(
                status=DeliveryStatus.DELIVERING,
                attempts=WebhookDelivery.attempts + 1,
                next_attempt_at=now + lease,
            )
            .returning(
                WebhookDelivery.key,
                WebhookDelivery.url,
                WebhookDelivery.event_type,
                WebhookDelivery.payload,
                WebhookDelivery.created_at,
            )
        ).first()
        if taken is not None:
            key, url, event_type, payload, created_at = taken
            return Claimed(
                delivery_id, key, url, event_type, dict(payload), created_at, attempts + 1
            )


def record(
    conn: Connection,
    claimed: Claimed,
    *,
    status: DeliveryStatus,
    next_attempt_at: datetime,
    status_code: int | None,
    error: str | None,
    delivered_at: datetime | None = None,
) -> bool:
    """Record how an attempt ended; False if the delivery was no longer this attempt's.

    (A worker that outlived its lease may find another one took the delivery over.)
    """
    done = conn.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == claimed.id,
            WebhookDelivery.status == DeliveryStatus.DELIVERING,
            WebhookDelivery.attempts == claimed.attempt,
        )
        .values(
            status=status,
            next_attempt_at=next_attempt_at,
            last_status_code=status_code,
            last_error=error,
            delivered_at=delivered_at,
        )
    ).rowcount
    return bool(done)


def listing(conn: Connection, status: str | None = None, limit: int = 100) -> list[Delivery]:
    """Return deliveries, newest first, of one status if given."""
    query = select(*LISTED).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return [Delivery(**row) for row in conn.execute(query).mappings()]


def get(conn: Connection, delivery_id: int) -> Delivery:
    """Return one delivery."""
    query = select(*LISTED).where(WebhookDelivery.id == delivery_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no webhook delivery with id {delivery_id}")
    return Delivery(**row)


def requeue(conn: Connection, delivery_id: int, now: datetime) -> bool:
    """Put a failed delivery back in the queue with fresh attempts; False if it was not failed."""
    moved = conn.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.FAILED,
        )
        .values(status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=now)
    ).rowcount
    return bool(moved)


def stored_secret(conn: Connection) -> str | None:
    """Return the generated signing secret kept in the store, if there is one."""
    values = conn.execute(
        select(StoredSettings.values).where(StoredSettings.group == SECRET_GROUP)
    ).scalar_one_or_none()
    secret = None if values is None else values.get("secret")
    return secret if isinstance(secret, str) else None


def store_secret(conn: Connection, secret: str, now: datetime) -> str:
    """Keep ``secret`` unless one is kept already (two workers at once); return the kept one."""
    row = {"group": SECRET_GROUP, "values": {"secret": secret}, "updated_at": now}
    insert_new(conn, table_of(StoredSettings), [row], "group")
    kept = stored_secret(conn)
    if kept is None:  # pragma: no cover - the row was just written
        raise RuntimeError("the webhook secret was not kept")
    return kept
