"""The event feed: one customer timeline that every trigger reads, in commit order, by cursor.

Imports, API clients, scoring runs, playbooks and people all write to ``events``; a reader
(a playbook trigger, say) keeps a cursor — the (tx, id) of the last event it has handled —
and asks for what came after it. Rows carry ``tx`` because ids alone do not give commit
order on PostgreSQL: an id is handed out when a row is inserted, and a transaction holding
a smaller id may commit after a larger one has been read. The feed hands out only events
whose transaction lies below the *horizon* — the oldest transaction still open — so nothing
is passed over; on SQLite one writer commits at a time and everything committed is final.

A reader that handles events and moves its cursor in the same transaction handles each
event exactly once. Being a writer (of its cursor), it reads in a write transaction
(``storage.engine.write_transaction``): on SQLite a transaction that read first and writes
later fails if someone committed in between.

On PostgreSQL a write transaction left open in the store's database holds readers back
until it ends (they are delayed; nothing is lost or passed over).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tenure.domains.events.models import Event, EventSource, FeedCursor, SystemEventType
from tenure.kit.timeutil import as_utc, utcnow
from tenure.storage.base import table_of
from tenure.storage.upsert import insert_new

# above every transaction id SQLite's rows carry (0) and PostgreSQL's for a long while
_UNBOUNDED = 2**62


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: after the event (tx, event_id)."""

    tx: int
    event_id: int


START = Position(0, 0)


@dataclass(frozen=True)
class FeedEvent:
    """An event as a reader of the feed sees it."""

    id: int
    tx: int
    customer_id: int
    type: str
    occurred_at: datetime
    source: str
    properties: dict[str, Any] | None

    @property
    def position(self) -> Position:
        """Where the feed stands once this event is handled."""
        return Position(self.tx, self.id)


@dataclass(frozen=True)
class Batch:
    """Events after a cursor, and where the cursor may move once they are handled.

    ``end`` can lie beyond the last event of ``events`` when a type filter left the rest
    out: the reader has then seen everything up to ``end``.
    """

    events: list[FeedEvent]
    end: Position


@dataclass(frozen=True)
class NewEvent:
    """An event Tenure writes itself (a stage change, a task completed …)."""

    key: str  # unique: makes writing it twice impossible (stored as external_id)
    customer_id: int
    type: SystemEventType
    occurred_at: datetime
    properties: dict[str, Any] | None = None


def append(
    conn: Connection,
    source: EventSource,
    events: Iterable[NewEvent],
    *,
    skip_existing: bool = False,
) -> int:
    """Write Tenure's own events to the feed; return how many were written.

    ``skip_existing`` passes over events whose key is stored already (a file imported again).
    """
    rows = [
        {
            "external_id": event.key,
            "customer_id": event.customer_id,
            "type": event.type.value,
            "occurred_at": as_utc(event.occurred_at),
            "properties": event.properties,
            "source": source.value,
        }
        for event in events
    ]
    if skip_existing:
        return insert_new(conn, table_of(Event), rows, "external_id")
    if rows:
        conn.execute(insert(Event), rows)
    return len(rows)


def horizon(conn: Connection) -> int:
    """Return the transaction id below which every writer of the feed has finished.

    PostgreSQL: the snapshot's xmax at a first look (every transaction below it had ended
    or was open then; those starting later get larger ids), lowered to the oldest
    transaction still open in this database at a second look. Transactions of other
    databases on the same server do not count: a long one elsewhere holds nothing back.
    """
    if conn.dialect.name != "postgresql":
        return _UNBOUNDED
    bound = int(
        conn.execute(
            text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        ).scalar_one()
    )
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # the activity, not a cached copy
    open_xids = conn.execute(
        text(
            "SELECT backend_xid::text::bigint FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL"
        )
    ).scalars()
    for short in open_xids:  # 32-bit ids: the nearest 64-bit id to the bound
        full = (bound & ~0xFFFFFFFF) | int(short)
        if full > bound + (1 << 31):
            full -= 1 << 32
        elif full < bound - (1 << 31):
            full += 1 << 32
        bound = min(bound, full)
    return bound


def end(conn: Connection, bound: int | None = None) -> Position:
    """Return the position after the last event every writer has finished writing.

    ``bound`` is a horizon taken earlier, when the answer must agree with a read made under it.
    """
    row = conn.execute(
        select(Event.tx, Event.id)
        .where(Event.tx < (horizon(conn) if bound is None else bound))
        .order_by(Event.tx.desc(), Event.id.desc())
        .limit(1)
    ).first()
    return START if row is None else Position(int(row[0]), int(row[1]))


def _after(position: Position) -> Any:
    return or_(Event.tx > position.tx, and_(Event.tx == position.tx, Event.id > position.event_id))


def read_after(
    conn: Connection,
    position: Position,
    *,
    types: Sequence[str] | None = None,
    limit: int = 1000,
) -> Batch:
    """Return up to ``limit`` events after ``position`` (of ``types`` only, if given)."""
    bound = horizon(conn)
    columns = (
        Event.id,
        Event.tx,
        Event.customer_id,
        Event.type,
        Event.occurred_at,
        Event.source,
        Event.properties,
    )
    # Two seeks, not one OR: "(tx = a AND id > b) OR tx > a" made SQLite sort every event
    # after the cursor to keep a batch (8.6 s a batch from the start of 30M events, 13 ms
    # this way); first the rest of the cursor's transaction, then the transactions after it.
    same_tx = select(*columns).where(Event.tx == position.tx, Event.id > position.event_id)
    later_tx = select(*columns).where(Event.tx > position.tx, Event.tx < bound)
    if types is not None:
        kinds = list(types)
        same_tx, later_tx = (
            same_tx.where(Event.type.in_(kinds)),
            later_tx.where(Event.type.in_(kinds)),
        )
    rows = []
    if position.tx < bound:
        rows = list(conn.execute(same_tx.order_by(Event.id).limit(limit)))
    if len(rows) < limit:
        rows += list(conn.execute(later_tx.order_by(Event.tx, Event.id).limit(limit - len(rows))))
    events = [
        FeedEvent(
            id=int(row.id),
            tx=int(row.tx),
            customer_id=int(row.customer_id),
            type=str(row.type),
            occurred_at=as_utc(row.occurred_at),
            source=str(row.source),
            properties=row.properties,
        )
        for row in rows
    ]
    if len(events) == limit:
        return Batch(events, events[-1].position)
    # fewer than asked for: everything up to the last finished event has been seen
    last = end(conn, bound)  # the same horizon: a later one could pass over events
    mark = max(last, position)
    if events:
        mark = max(mark, events[-1].position)
    return Batch(events, mark)


def cursor(conn: Connection, consumer: str) -> Position | None:
    """Return where ``consumer`` has read up to, or None if it has never read."""
    row = conn.execute(
        select(FeedCursor.tx, FeedCursor.event_id).where(FeedCursor.consumer == consumer)
    ).first()
    return None if row is None else Position(int(row[0]), int(row[1]))


def subscribe(conn: Connection, consumer: str, *, from_start: bool = False) -> Position:
    """Give ``consumer`` a cursor (at the end of the feed unless ``from_start``); return it.

    A new reader starts at the end: a playbook published today reacts to what happens from
    now on, not to years of imported history. Subscribing again keeps the existing cursor.
    """
    existing = cursor(conn, consumer)
    if existing is not None:
        return existing
    position = START if from_start else end(conn)
    values = {
        "consumer": consumer,
        "tx": position.tx,
        "event_id": position.event_id,
        "updated_at": utcnow(),
    }
    # two workers' first ticks may subscribe the same new reader at once: the second keeps
    # the first's cursor instead of failing its tick on the primary key
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(upsert(FeedCursor).values(**values).on_conflict_do_nothing())
    return cursor(conn, consumer) or position


def read(
    conn: Connection, consumer: str, *, types: Sequence[str] | None = None, limit: int = 1000
) -> Batch:
    """Return the events after ``consumer``'s cursor (subscribing it at the end if new)."""
    return read_after(conn, subscribe(conn, consumer), types=types, limit=limit)


def advance(conn: Connection, consumer: str, position: Position) -> None:
    """Move ``consumer``'s cursor to ``position``; never backwards.

    Call it in the transaction that handled the events, so handling and moving on commit
    together.
    """
    subscribe(conn, consumer)
    conn.execute(
        update(FeedCursor)
        .where(FeedCursor.consumer == consumer, _cursor_before(position))
        .values(tx=position.tx, event_id=position.event_id, updated_at=utcnow())
    )


def _cursor_before(position: Position) -> Any:
    return or_(
        FeedCursor.tx < position.tx,
        and_(FeedCursor.tx == position.tx, FeedCursor.event_id < position.event_id),
    )
