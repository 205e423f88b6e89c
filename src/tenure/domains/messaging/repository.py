"""Every query of the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tenure.domains.customers.models import Customer
from tenure.domains.customers.reach import Owners, visible
from tenure.domains.messaging.models import Message, MessageCategory, MessageStatus

COUNTED = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)


@dataclass(frozen=True)
class Recipient:
    """What queueing needs to know of a customer."""

    id: int
    external_id: str
    email: str | None
    email_consent: bool


def recipient(conn: Connection, customer_id: int) -> Recipient | None:
    """Return the customer ``customer_id`` as a recipient, or None."""
    row = conn.execute(
        select(Customer.id, Customer.external_id, Customer.email, Customer.email_consent).where(
            Customer.id == customer_id
        )
    ).first()
    return None if row is None else Recipient(row[0], row[1], row[2], bool(row[3]))


def customer_names(conn: Connection, customer_id: int) -> dict[str, Any]:
    """Return the customer's external id and name, as ``customer`` and ``customer_name``."""
    row = conn.execute(
        select(Customer.external_id, Customer.name).where(Customer.id == customer_id)
    ).one()
    return {"customer": row[0], "customer_name": row[1]}


def customer_id_of(conn: Connection, external_id: str) -> int | None:
    """Return the id of the customer known as ``external_id`` in the user's systems."""
    return conn.execute(
        select(Customer.id).where(Customer.external_id == external_id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Stored:
    """A message as queueing answers with it."""

    id: int
    status: str
    reason: str | None


@dataclass(frozen=True)
class Claimed:
    """A message claimed for sending."""

    id: int
    customer_id: int
    category: str
    template: str
    source: str | None
    to_address: str
    subject: str
    html: str
    text: str
    unsubscribe_url: str | None
    attempts: int


def message_by_key(conn: Connection, key: str) -> Stored | None:
    """Return the message queued under ``key``."""
    row = conn.execute(
        select(Message.id, Message.status, Message.reason).where(Message.key == key)
    ).first()
    return None if row is None else Stored(int(row[0]), str(row[1]), row[2])


def message(conn: Connection, message_id: int) -> dict[str, Any] | None:
    """Return one message as a dict."""
    row = conn.execute(select(Message.__table__).where(Message.id == message_id)).mappings()
    first = row.first()
    return None if first is None else {str(k): v for k, v in first.items()}


LISTED = (
    Message.id,
    Message.key,
    Message.customer_id,
    Customer.external_id.label("customer"),
    Customer.name.label("customer_name"),
    Message.category,
    Message.template,
    Message.language,
    Message.to_address,
    Message.subject,
    Message.status,
    Message.reason,
    Message.attempts,
    Message.created_at,
    Message.sent_at,
    Message.source,
)


def _narrowed(
    query: Any,
    status: str | None,
    customer_id: int | None,
    source: str | None,
    owners: Owners = None,
) -> Any:
    if owners is not None:  # whose customers the caller reaches ([access])
        query = query.where(visible(owners, Message.customer_id))
    for column, value in (
        (Message.status, status),
        (Message.customer_id, customer_id),
        (Message.source, source),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def page(
    conn: Connection,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    source: str | None = None,
    after: int | None = None,
    limit: int = 50,
    owners: Owners = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Return a page of messages, newest first, without bodies, and the next page's cursor."""
    query = (
        select(*LISTED)
        .join(Customer, Customer.id == Message.customer_id)
        .order_by(Message.id.desc())
        .limit(limit + 1)
    )
    query = _narrowed(query, status, customer_id, source, owners)
    if after is not None:
        query = query.where(Message.id < after)
    rows = [{str(k): v for k, v in r.items()} for r in conn.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)


def messages(
    conn: Connection, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Return the newest messages (of ``status``), without their bodies."""
    return page(conn, status=status, limit=limit)[0]


def status_counts(
    conn: Connection,
    *,
    customer_id: int | None = None,
    source: str | None = None,
    owners: Owners = None,
) -> dict[str, int]:
    """Count the messages in each status (of a customer, from a source, if given)."""
    query = _narrowed(
        select(Message.status, func.count()).group_by(Message.status),
        None,
        customer_id,
        source,
        owners,
    )
    found = {str(s): int(n) for s, n in conn.execute(query).all()}
    return {s.value: found.get(s.value, 0) for s in MessageStatus}


def sources(conn: Connection) -> list[str]:
    """Return every source messages came from (e.g. ``playbook:win-back``), sorted."""
    query = select(Message.source).where(Message.source.is_not(None)).distinct()
    return sorted(str(s) for s in conn.execute(query).scalars())


def marketing_count(conn: Connection, customer_id: int, since: datetime) -> int:
    """Count the customer's marketing messages queued, sending or sent since ``since``."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(Message)
            .where(
                Message.customer_id == customer_id,
                Message.category == MessageCategory.MARKETING.value,
                Message.status.in_([s.value for s in COUNTED]),
                Message.created_at >= since,
            )
        ).scalar_one()
    )


def insert_message(conn: Connection, values: dict[str, Any]) -> None:
    """Insert a message unless its key is taken (two callers at once: one row)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(Message).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )


def expire_claims(conn: Connection, now: datetime) -> list[int]:
    """Mark ``unknown`` every message whose ``sending`` claim ran out; return their ids."""
    expired = conn.execute(
        update(Message)
        .where(Message.status == MessageStatus.SENDING.value, Message.next_attempt_at <= now)
        .values(status=MessageStatus.UNKNOWN.value, reason="sender_stopped", next_attempt_at=None)
        .returning(Message.id)
    )
    return [int(i) for i in expired.scalars()]


def claim_due(conn: Connection, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Claim up to ``limit`` due queued messages: mark them ``sending`` until ``lease_until``.

    One statement: the candidates are chosen in a subquery and updated if still queued.
    PostgreSQL: they are locked with SKIP LOCKED, so several workers take disjoint batches.
    SQLite runs one worker. Returned in the order of their ids.
    """
    if limit <= 0:
        return []
    candidates = (
        select(Message.id)
        .where(Message.status == MessageStatus.QUEUED.value, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    rows = conn.execute(
        update(Message)
        .where(Message.id.in_(candidates), Message.status == MessageStatus.QUEUED.value)
        .values(
            status=MessageStatus.SENDING.value,
            attempts=Message.attempts + 1,
            next_attempt_at=lease_until,
        )
        .returning(
            Message.id,
            Message.customer_id,
            Message.category,
            Message.template,
            Message.source,
            Message.to_address,
            Message.subject,
            Message.html,
            Message.text,
            Message.unsubscribe_url,
            Message.attempts,
        )
    )
    claimed = [
        Claimed(
            id=row.id,
            customer_id=row.customer_id,
            category=row.category,
            template=row.template,
            source=row.source,
            to_address=row.to_address or "",
            subject=row.subject or "",
            html=row.html or "",
            text=row.text or "",
            unsubscribe_url=row.unsubscribe_url,
            attempts=row.attempts,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda c: c.id)


def extend_claims(conn: Connection, message_ids: Sequence[int], lease_until: datetime) -> set[int]:
    """Move the lease of the still ``sending`` messages on; return their ids."""
    if not message_ids:
        return set()
    kept = conn.execute(
        update(Message)
        .where(Message.id.in_(list(message_ids)), Message.status == MessageStatus.SENDING.value)
        .values(next_attempt_at=lease_until)
        .returning(Message.id)
    )
    return {int(i) for i in kept.scalars()}


def release_claims(conn: Connection, message_ids: Sequence[int], now: datetime) -> None:
    """Put claimed messages the transport never saw back in the queue, due now.

    As if the claim had not been made: the attempt is not counted.
    """
    if not message_ids:
        return
    conn.execute(
        update(Message)
        .where(Message.id.in_(list(message_ids)), Message.status == MessageStatus.SENDING.value)
        .values(
            status=MessageStatus.QUEUED.value,
            attempts=Message.attempts - 1,
            next_attempt_at=now,
        )
    )


def finish_sent(conn: Connection, sent: Sequence[tuple[int, str]], now: datetime) -> set[int]:
    """Mark ``sent`` the ``sending`` messages of ``(id, transport id)``; return those marked.

    The still ``sending`` ones are locked (PostgreSQL; SQLite's transaction holds the write
    lock already), then updated in one batch. A message left out was not ``sending`` any more:
    its lease ran out and another pass marked it ``unknown``.
    """
    if not sent:
        return set()
    transport_ids = {message_id: transport_id[:255] for message_id, transport_id in sent}
    sending = set(
        conn.execute(
            select(Message.id)
            .where(
                Message.id.in_(list(transport_ids)),
                Message.status == MessageStatus.SENDING.value,
            )
            .with_for_update()
        ).scalars()
    )
    if sending:
        conn.execute(
            update(Message)
            .where(Message.id == bindparam("b_id"))
            .values(
                status=MessageStatus.SENT.value,
                reason=None,
                sent_at=now,
                next_attempt_at=None,
                transport_id=bindparam("b_transport_id"),
            ),
            [{"b_id": i, "b_transport_id": transport_ids[i]} for i in sorted(sending)],
        )
    return {int(i) for i in sending}


def finish(conn: Connection, message_id: int, **values: Any) -> bool:
    """Move a ``sending`` message on (sent, queued again, failed); False if it was not sending."""
    done = conn.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.SENDING.value)
        .values(**values)
        .returning(Message.id)
    ).scalar_one_or_none()
    return done is not None


def set_email_consent(conn: Connection, customer_id: int, consent: bool) -> bool:
    """Set the customer's email consent; return what it was before."""
    before = conn.execute(
        select(Customer.email_consent).where(Customer.id == customer_id)
    ).scalar_one()
    conn.execute(update(Customer).where(Customer.id == customer_id).values(email_consent=consent))
    return bool(before)


def displaceable(
    conn: Connection, customer_id: int, since: datetime, below: int, limit: int = 5
) -> list[int]:
    """Return the customer's queued marketing messages of a priority below ``below``.

    Only those in the cap's window (since ``since``): lowest priority first, then the one
    that would go out last.
    """
    return [
        int(i)
        for i in conn.execute(
            select(Message.id)
            .where(
                Message.customer_id == customer_id,
                Message.category == MessageCategory.MARKETING.value,
                Message.status == MessageStatus.QUEUED.value,
                Message.created_at >= since,
                Message.priority.is_not(None),
                Message.priority < below,
            )
            .order_by(Message.priority, Message.next_attempt_at.desc(), Message.id.desc())
            .limit(limit)
        ).scalars()
    ]


def displace(conn: Connection, message_id: int, reason: str) -> bool:
    """Skip a still-queued message with ``reason``; False if a sender claimed it meanwhile."""
    done = conn.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.QUEUED.value)
        .values(status=MessageStatus.SKIPPED.value, reason=reason[:200], next_attempt_at=None)
        .returning(Message.id)
    ).scalar_one_or_none()
    return done is not None
