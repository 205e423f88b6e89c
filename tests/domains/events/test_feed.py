"""The event feed: every writer's events reach a reader once, in commit order, by cursor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from tenure.domains.audit.service import Actor
from tenure.domains.customers.models import Customer
from tenure.domains.events import feed
from tenure.domains.events import service as events
from tenure.domains.events.models import Event, EventSource, FeedCursor, SystemEventType
from tenure.domains.events.schemas import IncomingEvent
from tenure.storage.engine import retry_when_busy, write_transaction
from tests.factories import make_customer

AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _stage_change(key: str, customer_id: int) -> feed.NewEvent:
    return feed.NewEvent(
        key=key,
        customer_id=customer_id,
        type=SystemEventType.STAGE_CHANGED,
        occurred_at=AT,
        properties={"from": "mature", "to": "declining"},
    )


@pytest.fixture
def customer(engine: Engine) -> Iterator[tuple[Engine, int, str]]:
    """A committed customer (the feed shows committed events only) and a reader's name."""
    with Session(engine) as session:
        made = make_customer(session)
        customer_id, external_id = made.id, made.external_id
        session.commit()
    reader = f"reader-{customer_id}"
    yield engine, customer_id, external_id
    with engine.begin() as conn:
        conn.execute(delete(Event).where(Event.customer_id == customer_id))
        conn.execute(delete(FeedCursor).where(FeedCursor.consumer == reader))
        conn.execute(delete(Customer).where(Customer.id == customer_id))


def test_a_reader_sees_each_writer_s_events_once_in_order(
    customer: tuple[Engine, int, str],
) -> None:
    engine, customer_id, external_id = customer
    reader = f"reader-{customer_id}"
    with engine.begin() as conn:
        start = feed.subscribe(conn, reader)  # a new reader starts at the end
        assert feed.read(conn, reader).events == []
    incoming = IncomingEvent(
        id=f"e-{customer_id}", customer=external_id, type="login", occurred_at=AT
    )
    with engine.begin() as conn:
        events.ingest(conn, Actor(None, "api"), [incoming])
    with engine.begin() as conn:
        feed.append(conn, EventSource.RUN, [_stage_change(f"run:1:{customer_id}", customer_id)])

    with engine.begin() as conn:
        batch = feed.read(conn, reader)
        assert [(e.type, e.source) for e in batch.events] == [
            ("login", "api"),
            ("stage_changed", "run"),
        ]
        assert batch.events[1].properties == {"from": "mature", "to": "declining"}
        assert batch.end > start
        feed.advance(conn, reader, batch.end)
    with engine.begin() as conn:
        assert feed.read(conn, reader).events == []  # handled once
        feed.advance(conn, reader, start)  # never backwards
        assert feed.cursor(conn, reader) == batch.end


def test_a_type_filter_moves_the_cursor_past_what_it_left_out(
    customer: tuple[Engine, int, str],
) -> None:
    engine, customer_id, _ = customer
    reader = f"reader-{customer_id}"
    with engine.begin() as conn:
        feed.subscribe(conn, reader)
    with engine.begin() as conn:
        feed.append(conn, EventSource.RUN, [_stage_change(f"run:2:{customer_id}", customer_id)])
        conn.execute(
            insert(Event).values(
                external_id=f"login-{customer_id}",
                customer_id=customer_id,
                occurred_at=AT,
                type="login",
            )
        )
    with engine.begin() as conn:
        batch = feed.read(conn, reader, types=["stage_changed"])
        assert [e.type for e in batch.events] == ["stage_changed"]
        assert batch.end == feed.end(conn)  # the login was seen and passed over
        feed.advance(conn, reader, batch.end)
    with engine.begin() as conn:  # a limit leaves the rest for the next read
        feed.append(
            conn,
            EventSource.RUN,
            [_stage_change(f"run:3:{customer_id}:{n}", customer_id) for n in range(5)],
        )
    with engine.begin() as conn:
        first = feed.read(conn, reader, limit=3)
        assert len(first.events) == 3 and first.end == first.events[-1].position
        feed.advance(conn, reader, first.end)
        assert len(feed.read(conn, reader, limit=3).events) == 2


def test_an_import_or_api_client_cannot_write_a_system_event() -> None:
    with pytest.raises(ValueError, match="stage_changed.*Tenure writes itself"):
        IncomingEvent(id="x", customer="c", type="stage_changed", occurred_at=AT)


def test_reading_from_the_start_replays_the_history(customer: tuple[Engine, int, str]) -> None:
    engine, customer_id, _ = customer
    reader = f"reader-{customer_id}"
    with engine.begin() as conn:
        feed.append(conn, EventSource.PERSON, [_stage_change(f"p:{customer_id}", customer_id)])
    with engine.begin() as conn:
        assert feed.subscribe(conn, reader, from_start=True) == feed.START
        replayed = feed.read(conn, reader, limit=100_000).events
        assert [e.source for e in replayed if e.customer_id == customer_id] == ["person"]


def test_on_postgresql_a_reader_waits_for_a_transaction_still_open(
    postgresql_database: Engine,
) -> None:
    # ids are handed out at insert and transactions commit in any order: the event of the
    # transaction that commits last but holds the smaller id must not be passed over
    engine = postgresql_database
    with Session(engine) as session:
        customer_id = make_customer(session).id
        session.commit()
    with engine.begin() as conn:
        feed.subscribe(conn, "pg-reader")
    slow = engine.connect()
    slow_tx = slow.begin()
    feed.append(slow, EventSource.RUN, [_stage_change("slow", customer_id)])  # smaller id
    with engine.begin() as conn:
        feed.append(conn, EventSource.RUN, [_stage_change("fast", customer_id)])
    with engine.begin() as conn:
        batch = feed.read(conn, "pg-reader")
        assert batch.events == []  # "fast" waits behind the open transaction
        feed.advance(conn, "pg-reader", batch.end)
    slow_tx.commit()
    slow.close()
    with engine.begin() as conn:
        batch = feed.read(conn, "pg-reader")
        keys = conn.execute(
            select(Event.external_id).where(Event.id.in_([e.id for e in batch.events]))
        ).scalars()
        assert sorted(keys) == ["fast", "slow"]
        assert [e.position for e in batch.events] == sorted(e.position for e in batch.events)
        conn.execute(delete(Event).where(Event.customer_id == customer_id))
        conn.execute(delete(FeedCursor).where(FeedCursor.consumer == "pg-reader"))
        conn.execute(delete(Customer).where(Customer.id == customer_id))


def test_concurrent_writers_lose_nothing_for_a_reader(engine: Engine) -> None:
    # four writers append while a reader follows the feed: it sees every event exactly once
    with Session(engine) as session:
        customer_id = make_customer(session).id
        session.commit()
    with engine.begin() as conn:
        feed.subscribe(conn, "follower")

    def write(writer: int) -> None:
        for n in range(25):
            retry_when_busy(
                engine,
                lambda conn, n=n: feed.append(  # type: ignore[misc]
                    conn, EventSource.RUN, [_stage_change(f"w{writer}:{n}", customer_id)]
                ),
            )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    give_up = time.monotonic() + 120  # a guard against a hang, not a timing check
    while (any(t.is_alive() for t in threads) or len(seen) < 100) and time.monotonic() < give_up:
        with write_transaction(engine) as conn:  # it will move its cursor: a writer
            batch = feed.read(conn, "follower", types=["stage_changed"], limit=7)
            seen += [e.id for e in batch.events if e.customer_id == customer_id]
            feed.advance(conn, "follower", batch.end)
        if len(seen) > 100:
            break
    for thread in threads:
        thread.join()
    assert len(seen) == len(set(seen)) == 100
    with engine.begin() as conn:
        conn.execute(delete(Event).where(Event.customer_id == customer_id))
        conn.execute(delete(FeedCursor).where(FeedCursor.consumer == "follower"))
        conn.execute(delete(Customer).where(Customer.id == customer_id))
