"""The event feed at scale: what publishing stage changes costs a scoring run, what the
snapshot's filter of Tenure's own event types costs, and how fast a reader follows the feed.

Usage: python benchmarks/feed_bench.py [--customers N] [--store PATH] [--pg-url URL]

1. On the 1M-customer demo store (score_bench's build(); kept at --store), a first scoring
   run as of END − 7 days (committed once), then the run as of END (measured --repeats times,
   rolled back; the store keeps one of them, so the feed holds its stage_changed events):
   moves between stages, write-back and total seconds, and the part of the write-back that
   builds the events (``writeback.stage_events``) and inserts them (``feed.append``), timed
   by wrappers installed here. Then the snapshot with and without the type filter
   (``type NOT IN (system types)``): the same SQL texts through the same Arrow reader, the
   predicate cut out of the texts for "without", and the same filter done in Polars after
   the unfiltered read (the proposal). Where feed.append's time goes: the same rows through
   the driver's executemany, and into a copy of ``events`` without its indexes.
2. Feed reads in batches of 1000 through a consumer's cursor (``feed.read`` + ``feed.advance``
   in a write transaction, as docs/events.md shows), all types and ``stage_changed`` only,
   from the start, the middle and near the end of the feed — with the current ``read_after``
   and with the two-seek variant proposed below (installed here, src untouched). Then the
   same on PostgreSQL with a smaller store (the demo loaded with COPY, scored twice, plus
   API-like events in small transactions), and the time per ``feed.horizon()`` call.
   Query plans (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE) of the statements that matter.

Every measured case stops after --batches batches or --budget seconds, whichever first: the
current query reads in time proportional to the cursor's position, so a full replay of 30M
events is not measured but extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, peak_rss_gib  # noqa: E402
from tenure.domains.events import feed  # noqa: E402

END = date(2026, 6, 30)
FIRST = END - timedelta(days=7)
LIMIT = 1000
TYPE_INDEX = "ix_events_type_tx_id"  # proposed: (type, tx, id), in place of ix_events_type
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/tenure_feed_bench"
# the snapshot's filter of Tenure's own types, as compiled into the reader's SQL texts
TYPE_FILTER = re.compile(
    r"\s+AND (\(events\.type NOT IN \([^)]*\)\)|events\.type NOT IN \([^)]*\))"
)

ReadAfter = Callable[..., Any]


# ---------------------------------------------------------------- the proposed read


def read_after_two_seeks(
    conn: Any, position: Any, *, types: Sequence[str] | None = None, limit: int = 1000
) -> Any:
    """``feed.read_after`` with the cursor condition as two index seeks instead of an OR.

    ``tx > p.tx OR (tx = p.tx AND id > p.id)`` costs a read time proportional to the feed's
    length. SQLite (every row tx 0) answers it by MULTI-INDEX OR: the arm ``tx = 0 AND
    id > p.id`` hands every event after the cursor to a temp B-tree that keeps the first
    1000 — the whole history for a reader replaying from the start. PostgreSQL seeks on
    ``tx < bound`` only and filters the OR row by row: every event of the cursor's own
    transaction before the cursor is walked and thrown away. Reading ``tx = p.tx AND
    id > p.id`` first, then ``tx > p.tx AND tx < bound`` for the rest of the batch, seeks
    straight to the cursor both times. With a type filter it needs an index on
    (type, tx, id) (in place of ix_events_type), or SQLite walks ix_events_tx_id looking
    each row's type up.
    """
    from sqlalchemy import select

    from tenure.domains.events.models import Event
    from tenure.kit.timeutil import as_utc

    bound = feed.horizon(conn)

    def part(*where: Any, rows: int) -> Any:
        statement = (
            select(
                Event.id,
                Event.tx,
                Event.customer_id,
                Event.type,
                Event.occurred_at,
                Event.source,
                Event.properties,
            )
            .where(*where, Event.tx < bound)
            .order_by(Event.tx, Event.id)
            .limit(rows)
        )
        if types is not None:
            statement = statement.where(Event.type.in_(list(types)))
        return list(conn.execute(statement))

    rows = part(Event.tx == position.tx, Event.id > position.event_id, rows=limit)
    if len(rows) < limit:
        rows += part(Event.tx > position.tx, rows=limit - len(rows))
    events = [
        feed.FeedEvent(
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
        return feed.Batch(events, events[-1].position)
    mark = max(feed.end(conn, bound), position)
    if events:
        mark = max(mark, events[-1].position)
    return feed.Batch(events, mark)


def read_after_row_values(
    conn: Any, position: Any, *, types: Sequence[str] | None = None, limit: int = 1000
) -> Any:
    """``feed.read_after`` with the cursor condition as a row comparison (tx, id) > (a, b).

    PostgreSQL seeks on a row comparison over a two-column B-tree; SQLite 3.40 seeks on its
    first column only (no better than the OR there).
    """
    from sqlalchemy import tuple_

    from tenure.domains.events.models import Event

    original = feed._after
    feed._after = lambda p: tuple_(Event.tx, Event.id) > tuple_(p.tx, p.event_id)  # type: ignore[assignment]
    try:
        return original_read_after(conn, position, types=types, limit=limit)
    finally:
        feed._after = original  # type: ignore[assignment]


original_read_after: ReadAfter = feed.read_after  # as src has it, before any variant


# ---------------------------------------------------------------- 1. the scoring run


def _engine(store: Path) -> Any:
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{store}")
    upgrade(engine)
    return engine


def run_phase(store: Path, repeats: int) -> dict[str, Any]:
    """The first run (once), then ``repeats`` runs as of END with the feed insert timed."""
    from sqlalchemy import func, select

    from tenure.domains.events.models import Event, SystemEventType
    from tenure.domains.lifecycle import writeback
    from tenure.domains.scoring import repository as repo
    from tenure.domains.scoring.models import ScoringRun
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.settings import Settings
    from tenure.storage.arrow import arrow_reader

    engine = _engine(store)
    settings = Settings()
    out: dict[str, Any] = {}
    with engine.begin() as conn:
        done = conn.execute(
            select(func.count())
            .select_from(ScoringRun)
            .where(ScoringRun.as_of == FIRST, ScoringRun.status == "done")
        ).scalar_one()
        if not done:
            started = time.perf_counter()
            first = run_scoring(conn, FIRST, settings, arrow_reader(engine))
            out["first"] = {"seconds": round(time.perf_counter() - started, 2)}
            out["first"]["customers"] = first.customers

    timed: dict[str, float] = {}
    build_events, append = writeback.stage_events, feed.append

    def timed_stage_events(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        events = build_events(*args, **kwargs)
        timed["build"] = time.perf_counter() - started
        return events

    def timed_append(*args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        written = append(*args, **kwargs)
        timed["insert"] = time.perf_counter() - started
        timed["appended"] = written
        return written

    writeback.stage_events = timed_stage_events  # type: ignore[assignment]
    feed.append = timed_append  # type: ignore[assignment]
    # an END run kept by an earlier invocation must not be reused: measure the work
    repo.find_run = lambda *_args, **_kwargs: None  # type: ignore[assignment]

    def has_stage_events(conn: Any) -> bool:
        return (
            conn.execute(
                select(Event.id).where(Event.type == SystemEventType.STAGE_CHANGED).limit(1)
            ).first()
            is not None
        )

    runs = []
    for repeat in range(repeats):
        timed.clear()
        started = time.perf_counter()
        with engine.begin() as conn:
            keep = repeat == repeats - 1 and not has_stage_events(conn)
            result = run_scoring(conn, END, settings, arrow_reader(engine))
            total = time.perf_counter() - started
            if not keep:
                conn.rollback()
        moves = result.moves.filter(result.moves["from_stage"].is_not_null()).height
        runs.append(
            {
                "total": round(total, 2),
                "phases": result.seconds,
                "moves": moves,
                "newcomers": result.moves.height - moves,
                "build": round(timed.get("build", 0.0), 3),
                "insert": round(timed.get("insert", 0.0), 3),
                "appended": timed.get("appended", 0),
                "kept": keep,
            }
        )
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    out["runs"] = runs
    out["peak_gib"] = round(peak_rss_gib(), 2)
    return out


def snapshot_phase(store: Path, repeats: int) -> dict[str, Any]:
    """take_snapshot with and without the type filter; the events read alone, likewise."""
    import polars as pl

    from tenure.analytics.features import FEATURE_EVENT_DAYS
    from tenure.domains.events.models import SystemEventType
    from tenure.domains.preferences import service as preferences
    from tenure.domains.scoring.snapshot import take_snapshot
    from tenure.kit.settings import Settings
    from tenure.storage.arrow import arrow_reader

    engine = _engine(store)
    reader = arrow_reader(engine)
    assert reader is not None  # noqa: S101  (a SQLite file)
    seen: list[str] = []

    def as_is(texts: Sequence[str]) -> Any:
        seen[:] = list(texts)
        return reader(texts)

    def unfiltered(texts: Sequence[str]) -> Any:
        cut = [TYPE_FILTER.sub("", t) for t in texts]
        assert sum(a != b for a, b in zip(texts, cut, strict=True)) >= 1  # noqa: S101
        return reader(cut)

    with engine.connect() as conn:
        settings = preferences.effective(conn, Settings())
        horizon = max(
            settings.churn.horizon_days if settings.churn.enabled else 0,
            settings.leads.conversion_horizon_days,
        )
        days = FEATURE_EVENT_DAYS + 2 * horizon
        tz = settings.business.timezone
        whole: dict[str, list[float]] = {"filtered": [], "unfiltered": []}
        in_polars: list[float] = []
        system = [kind.value for kind in SystemEventType]
        rows: dict[str, int] = {}
        for _ in range(repeats):
            for name, wrapped in (("filtered", as_is), ("unfiltered", unfiltered)):
                started = time.perf_counter()
                frames = take_snapshot(conn, END, tz, days, wrapped, reader_min_rows=0)
                whole[name].append(time.perf_counter() - started)
                rows[name] = frames["events"].height
                if name == "unfiltered":  # the proposal: the same filter, in Polars
                    started = time.perf_counter()
                    kept = frames["events"].filter(~pl.col("type").is_in(system))
                    in_polars.append(time.perf_counter() - started)
                    rows["filtered in Polars"] = kept.height
        event_texts = [t for t in seen if "FROM events" in t]
        alone: dict[str, list[float]] = {"filtered": [], "unfiltered": []}
        for _ in range(repeats):
            for name, texts in (
                ("filtered", event_texts),
                ("unfiltered", [TYPE_FILTER.sub("", t) for t in event_texts]),
            ):
                started = time.perf_counter()
                reader(texts)
                alone[name].append(time.perf_counter() - started)
        plans = {
            name: [str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + text).fetchall()]
            for name, text in (
                ("filtered", event_texts[0]),
                ("unfiltered", TYPE_FILTER.sub("", event_texts[0])),
            )
        }
    return {
        "event_days": days,
        "snapshot": {k: round(statistics.median(v), 2) for k, v in whole.items()},
        "events_read": {k: round(statistics.median(v), 2) for k, v in alone.items()},
        "event_rows": rows,
        "polars_filter": round(statistics.median(in_polars), 3),
        "sql": event_texts[0],
        "plans": plans,
    }


def insert_phase(store: Path, rows: int, repeats: int) -> dict[str, Any]:
    """Where feed.append's time goes: the same ``rows`` stage_changed events written
    through feed.append, through the driver's executemany (values ready), and into a copy
    of the table without its indexes; each in a transaction rolled back."""
    import random

    from tenure.domains.events.models import EventSource, SystemEventType
    from tenure.kit.timeutil import as_utc

    engine = _engine(store)
    with engine.connect() as conn:
        top = int(conn.exec_driver_sql("SELECT max(id) FROM customers").scalar_one())
    customers = random.Random(7).sample(range(1, top + 1), rows)
    at = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    events = [
        feed.NewEvent(
            key=f"bench:{c}",
            customer_id=c,
            type=SystemEventType.STAGE_CHANGED,
            occurred_at=at,
            properties={"from": "active", "to": "at_risk", "rule": "r", "run_id": 1},
        )
        for c in customers
    ]
    ready = [
        (
            f"bench:{e.customer_id}",
            e.customer_id,
            "stage_changed",
            as_utc(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S.%f"),
            json.dumps(e.properties),
            "run",
        )
        for e in events
    ]
    sql = (
        "INSERT INTO {} (external_id, customer_id, type, occurred_at, properties, source) "
        "VALUES (?, ?, ?, ?, ?, ?)"
    )
    timings: dict[str, list[float]] = {"feed.append": [], "executemany": [], "no indexes": []}
    for _ in range(repeats):
        for name in timings:
            with engine.begin() as conn:
                raw = conn.connection.driver_connection
                if name == "no indexes":
                    raw.execute("CREATE TEMP TABLE bare AS SELECT * FROM events WHERE 0")
                started = time.perf_counter()
                if name == "feed.append":
                    feed.append(conn, EventSource.RUN, events)
                else:
                    raw.executemany(
                        sql.format("events" if name == "executemany" else "bare"), ready
                    )
                timings[name].append(time.perf_counter() - started)
                conn.rollback()
    return {"rows": rows, **{k: round(statistics.median(v), 3) for k, v in timings.items()}}


# ---------------------------------------------------------------- 2. reading the feed


def _set_cursor(engine: Any, consumer: str, position: Any) -> None:
    from sqlalchemy import delete

    from tenure.domains.events.models import FeedCursor
    from tenure.storage.engine import write_transaction

    with write_transaction(engine) as conn:
        conn.execute(delete(FeedCursor).where(FeedCursor.consumer == consumer))
        feed.subscribe(conn, consumer, from_start=True)
        feed.advance(conn, consumer, position)


def follow(
    engine: Any,
    start: Any,
    types: Sequence[str] | None,
    read_after: ReadAfter,
    batches: int,
    budget: float,
) -> dict[str, Any]:
    """A consumer at ``start`` reads and advances, batch by batch; return the rate."""
    from sqlalchemy import delete

    from tenure.domains.events.models import FeedCursor
    from tenure.storage.engine import write_transaction

    consumer = "feed-bench"
    _set_cursor(engine, consumer, start)
    installed = feed.read_after
    feed.read_after = read_after  # type: ignore[assignment]
    events, done, per_batch = 0, 0, []
    started = time.perf_counter()
    try:
        while done < batches and time.perf_counter() - started < budget:
            clock = time.perf_counter()
            with write_transaction(engine) as conn:
                batch = feed.read(conn, consumer, types=types, limit=LIMIT)
                feed.advance(conn, consumer, batch.end)
            per_batch.append(time.perf_counter() - clock)
            events += len(batch.events)
            done += 1
            if len(batch.events) < LIMIT:
                break  # at the end of the feed
    finally:
        feed.read_after = installed  # type: ignore[assignment]
        with write_transaction(engine) as conn:
            conn.execute(delete(FeedCursor).where(FeedCursor.consumer == consumer))
    seconds = time.perf_counter() - started
    return {
        "events": events,
        "batches": done,
        "seconds": round(seconds, 3),
        "per_second": round(events / seconds) if seconds else 0,
        "ms_per_batch": round(1000 * statistics.median(per_batch), 2),
    }


def read_cases(
    engine: Any,
    batches: int,
    budget: float,
    variants: dict[str, ReadAfter],
    *,
    types_only: bool = False,
) -> list[dict[str, Any]]:
    """Every (types, start, variant) case on ``engine``'s feed."""
    from sqlalchemy import func, select

    from tenure.domains.events.models import Event

    with engine.connect() as conn:
        top = conn.execute(
            select(Event.tx, Event.id).order_by(Event.tx.desc(), Event.id.desc()).limit(1)
        ).one()
        middle = conn.execute(
            select(Event.tx, Event.id)
            .order_by(Event.tx, Event.id)
            .offset(conn.execute(select(func.count()).select_from(Event)).scalar_one() // 2)
            .limit(1)
        ).one()
    # on PostgreSQL the loaded history is one transaction: the middle lies inside it
    starts = {
        "start": feed.START,
        "middle": feed.Position(int(middle[0]), int(middle[1])),
        "near end": feed.Position(int(top[0]), max(int(top[1]) - batches * LIMIT, 0)),
    }
    cases = []
    for types in [["stage_changed"]] if types_only else [None, ["stage_changed"]]:
        for where, position in starts.items():
            if types is not None and where == "near end":
                continue
            for name, variant in variants.items():
                figures = follow(engine, position, types, variant, batches, budget)
                case = {"types": types or "all", "from": where, "read": name, **figures}
                print(json.dumps(case), file=sys.stderr, flush=True)
                cases.append(case)
    return cases


def _feed_columns() -> tuple[Any, ...]:
    from tenure.domains.events.models import Event

    return (
        Event.id,
        Event.tx,
        Event.customer_id,
        Event.type,
        Event.occurred_at,
        Event.source,
        Event.properties,
    )


def sqlite_plans(engine: Any) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of the feed's reads (current and proposed) on the store.

    The statements as read_after sends them: its columns and bound parameters — with the
    id alone, or with literal values, SQLite picks another plan than the one that runs.
    """
    from sqlalchemy import select, tuple_

    from tenure.domains.events.models import Event

    position = feed.Position(0, 15_000_000)
    statements: dict[str, Any] = {}
    with engine.connect() as conn:
        b = feed.horizon(conn)
        base = select(*_feed_columns()).order_by(Event.tx, Event.id).limit(LIMIT)
        current = base.where(feed._after(position), Event.tx < b)
        statements["current, all types"] = current
        statements["current, stage_changed"] = current.where(Event.type.in_(["stage_changed"]))
        rows = base.where(tuple_(Event.tx, Event.id) > tuple_(position.tx, position.event_id))
        statements["row values, all types"] = rows.where(Event.tx < b)
        same = base.where(Event.tx == position.tx, Event.id > position.event_id, Event.tx < b)
        statements["two seeks (1), all types"] = same
        statements["two seeks (1), stage_changed"] = same.where(Event.type.in_(["stage_changed"]))
        statements["two seeks (2), all types"] = base.where(Event.tx > position.tx, Event.tx < b)
        statements["end()"] = (
            select(Event.tx, Event.id)
            .where(Event.tx < b)
            .order_by(Event.tx.desc(), Event.id.desc())
            .limit(1)
        )
        plans = {}
        for name, statement in statements.items():
            compiled = statement.compile(
                dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
            )
            values = compiled.construct_params()
            params = tuple(values[key] for key in compiled.positiontup or ())
            found = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)
            plans[name] = [str(r[3]) for r in found.fetchall()]
    return plans


def sqlite_phase(store: Path, batches: int, budget: float) -> dict[str, Any]:
    from sqlalchemy import func, select

    from tenure.domains.events.models import Event

    engine = _engine(store)
    with engine.connect() as conn:
        total = conn.execute(select(func.max(Event.id))).scalar_one()
        changed = conn.execute(
            select(func.count()).where(Event.type == "stage_changed")
        ).scalar_one()
    variants = {"current": original_read_after, "two seeks": read_after_two_seeks}
    out: dict[str, Any] = {
        "events": total,
        "stage_changed": changed,
        "plans": sqlite_plans(engine),
        "cases": read_cases(engine, batches, budget, variants),
    }
    # the proposed index, for the type filter: made here, measured, dropped again
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE INDEX {TYPE_INDEX} ON events (type, tx, id)")
    out["index_seconds"] = round(time.perf_counter() - started, 1)
    try:
        out["plans_with_type_index"] = {
            k: v for k, v in sqlite_plans(engine).items() if "stage_changed" in k
        }
        out["cases_with_type_index"] = read_cases(
            engine, batches, budget, variants, types_only=True
        )
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {TYPE_INDEX}")
    return out


# ---------------------------------------------------------------- PostgreSQL


def pg_phase(url: str, customers: int, batches: int, budget: float) -> dict[str, Any]:
    """A small store on PostgreSQL: its feed read the same ways, and horizon() timed."""
    from sqlalchemy import insert, text
    from sqlalchemy.engine import make_url

    from tenure.demo.config import DemoConfig
    from tenure.demo.generate import generate
    from tenure.demo.load import load_into_store
    from tenure.domains.events.models import Event
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.settings import Settings
    from tenure.storage.engine import bulk_load, make_engine
    from tenure.storage.migrate import upgrade

    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    name = target.database
    with admin.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    out: dict[str, Any] = {}
    try:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        data = generate(DemoConfig(customers=customers, seed=7, end=END))
        with bulk_load(engine) as conn:
            load_into_store(conn, data, datetime(2026, 7, 1, tzinfo=UTC))
        out["load_seconds"] = round(time.perf_counter() - started, 1)
        settings = Settings()
        for day in (FIRST, END):
            with engine.begin() as conn:
                run_scoring(conn, day, settings)
        # what the API writes: small transactions, each its own tx
        ids = [int(i) for i in data.tables["customers"]["id"].head(100)]
        at = datetime(2026, 7, 1, 12, tzinfo=UTC)
        for n in range(200):
            with engine.begin() as conn:
                conn.execute(
                    insert(Event),
                    [
                        {
                            "external_id": f"bench:{n}:{k}",
                            "customer_id": ids[k],
                            "type": "login",
                            "occurred_at": at,
                            "source": "api",
                        }
                        for k in range(100)
                    ],
                )
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE events")
            out["events"] = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
            out["stage_changed"] = conn.exec_driver_sql(
                "SELECT count(*) FROM events WHERE type = 'stage_changed'"
            ).scalar_one()
            out["transactions"] = conn.exec_driver_sql(
                "SELECT count(DISTINCT tx) FROM events"
            ).scalar_one()
        # horizon(): alone in a transaction, and as read_after calls it (in the reader's)
        with engine.connect() as conn:
            samples = []
            for _ in range(500):
                with conn.begin():
                    clock = time.perf_counter()
                    feed.horizon(conn)
                    samples.append(time.perf_counter() - clock)
            out["horizon_ms"] = round(1000 * statistics.median(samples), 3)
            samples = []
            with conn.begin():
                for _ in range(500):
                    clock = time.perf_counter()
                    feed.end(conn)
                    samples.append(time.perf_counter() - clock)
            out["end_ms"] = round(1000 * statistics.median(samples), 3)
        out["plans"] = pg_plans(engine)
        variants = {
            "current": original_read_after,
            "two seeks": read_after_two_seeks,
            "row values": read_after_row_values,
        }
        out["cases"] = read_cases(engine, batches, budget, variants)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE INDEX ix_events_type_tx_id ON events (type, tx, id)")
            conn.exec_driver_sql("ANALYZE events")
        out["plans_with_type_index"] = pg_plans(engine, types_only=True)
        out["cases_with_type_index"] = [
            case for case in read_cases(engine, batches, budget, variants) if case["types"] != "all"
        ]
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return out


def pg_plans(engine: Any, *, types_only: bool = False) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of the read from the middle of the feed, current and proposed."""
    from sqlalchemy import select, tuple_

    from tenure.domains.events.models import Event

    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
        tx, event_id = conn.execute(
            select(Event.tx, Event.id).order_by(Event.tx, Event.id).offset(count // 2).limit(1)
        ).one()
        position = feed.Position(int(tx), int(event_id))
        bound = feed.horizon(conn)
        base = select(*_feed_columns()).order_by(Event.tx, Event.id).limit(LIMIT)
        statements = {
            "current": base.where(feed._after(position), Event.tx < bound),
            "row values": base.where(
                tuple_(Event.tx, Event.id) > tuple_(position.tx, position.event_id),
                Event.tx < bound,
            ),
            "two seeks (1)": base.where(
                Event.tx == position.tx, Event.id > position.event_id, Event.tx < bound
            ),
        }
        plans = {}
        for types in (None, ["stage_changed"]):
            if types is None and types_only:
                continue
            for name, statement in statements.items():
                if types is not None:
                    statement = statement.where(Event.type.in_(types))
                sql = str(
                    statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
                )
                plans[f"{name}, {types or 'all'}"] = [
                    str(r[0]) for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
                ]
    return plans


# ---------------------------------------------------------------- the report


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def _print_cases(cases: list[dict[str, Any]]) -> None:
    for case in cases:
        print(
            f"  {case['types']!s:<17} from {case['from']:<9} {case['read']:<10} "
            f"{case['events']:>7,} events in {case['batches']:>3} batches, "
            f"{case['seconds']:7.2f} s: {case['per_second']:>9,} events/s, "
            f"{case['ms_per_batch']:8.2f} ms/batch (median)"
        )


def _print_plans(plans: dict[str, list[str]]) -> None:
    for name, lines in plans.items():
        print(f"  {name}:")
        for line in lines:
            print(f"      {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--store",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tenure-score-bench.db",
        help="The 1M-customer store (score_bench's; built when missing, scored here).",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, default=50, help="batches per read case")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per read case")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="'' skips PostgreSQL")
    parser.add_argument("--pg-customers", type=int, default=7_000)
    parser.add_argument("--insert-rows", type=int, default=22_394, help=argparse.SUPPRESS)
    parser.add_argument("--skip-run", action="store_true", help="only the reads")
    parser.add_argument("--phase", choices=["run", "insert", "snapshot", "sqlite", "pg"])
    args = parser.parse_args()
    if args.phase == "run":
        print(json.dumps(run_phase(args.store, args.repeats)))
        return
    if args.phase == "insert":
        print(json.dumps(insert_phase(args.store, args.insert_rows, args.repeats)))
        return
    if args.phase == "snapshot":
        print(json.dumps(snapshot_phase(args.store, args.repeats)))
        return
    if args.phase == "sqlite":
        print(json.dumps(sqlite_phase(args.store, args.batches, args.budget)))
        return
    if args.phase == "pg":
        print(json.dumps(pg_phase(args.pg_url, args.pg_customers, args.batches, args.budget)))
        return

    print(f"machine: {describe()}")
    if not args.store.exists():
        print(f"building the store ({args.customers:,} customers) …", flush=True)
        from score_bench import build

        build(args.store, args.customers)
    common = ["--store", str(args.store), "--repeats", str(args.repeats)]
    common += ["--batches", str(args.batches), "--budget", str(args.budget)]
    if not args.skip_run:
        measured = _child([*common, "--phase", "run"])
        if "first" in measured:
            print(f"first run as of {FIRST}: {measured['first']['seconds']:.1f} s (kept)")
        runs = measured["runs"]
        print(
            f"scoring run as of {END}, {len(runs)} times (median; peak {measured['peak_gib']} GiB):"
        )

        def median(pick: Callable[[dict[str, Any]], float]) -> float:
            return statistics.median(pick(r) for r in runs)

        write = median(lambda r: r["phases"]["write"])
        insert_s = median(lambda r: r["insert"])
        build_s = median(lambda r: r["build"])
        print(f"  moves between stages {runs[0]['moves']:,} (+ {runs[0]['newcomers']:,} newcomers)")
        print(f"  stage_changed events written {runs[0]['appended']:,}")
        print(f"  total {median(lambda r: r['total']):.2f} s, write-back {write:.2f} s")
        print(
            f"  of the write-back: stage_events() {build_s:.2f} s, feed.append() "
            f"{insert_s:.2f} s — {100 * (build_s + insert_s) / write:.0f}% of it"
        )
        print(f"  every repeat: {json.dumps(runs)}")
    # where the feed insert's time goes, and the snapshot with and without the type filter
    ins = _child([*common, "--insert-rows", str(args.insert_rows), "--phase", "insert"])
    print(
        f"  {ins['rows']:,} stage_changed rows, median of {args.repeats}: feed.append "
        f"{ins['feed.append']:.2f} s; the driver's executemany, values ready, "
        f"{ins['executemany']:.2f} s; into a copy of events without indexes "
        f"{ins['no indexes']:.2f} s"
    )
    snap = _child([*common, "--phase", "snapshot"])
    print(
        f"snapshot ({snap['event_days']} days of events), median of {args.repeats}: "
        f"with the type filter {snap['snapshot']['filtered']:.2f} s, without "
        f"{snap['snapshot']['unfiltered']:.2f} s; the events read alone "
        f"{snap['events_read']['filtered']:.2f} s vs {snap['events_read']['unfiltered']:.2f} s "
        f"(rows {snap['event_rows']}); the same filter in Polars after an unfiltered read "
        f"{snap['polars_filter']:.3f} s"
    )
    print(f"  SQL: {' '.join(snap['sql'].split())}")
    _print_plans(snap["plans"])
    reads = _child([*common, "--phase", "sqlite"])
    print(
        f"SQLite feed: {reads['events']:,} events, {reads['stage_changed']:,} stage_changed; "
        f"batches of {LIMIT}, at most {args.batches} batches or {args.budget:.0f} s a case"
    )
    _print_cases(reads["cases"])
    print(f"  with an index on (type, tx, id) (made in {reads['index_seconds']} s, dropped after):")
    _print_cases(reads["cases_with_type_index"])
    print("SQLite query plans:")
    _print_plans(reads["plans"])
    print("  with an index on (type, tx, id):")
    _print_plans(reads["plans_with_type_index"])
    if args.pg_url:
        pg = _child(
            [
                *common,
                "--pg-url",
                args.pg_url,
                "--pg-customers",
                str(args.pg_customers),
                "--phase",
                "pg",
            ]
        )
        print(
            f"PostgreSQL feed: {pg['events']:,} events in {pg['transactions']} transactions, "
            f"{pg['stage_changed']:,} stage_changed (loaded in {pg['load_seconds']} s)"
        )
        print(
            f"  feed.horizon() {pg['horizon_ms']:.3f} ms a call, feed.end() {pg['end_ms']:.3f} ms"
        )
        _print_cases(pg["cases"])
        print("  with an index on (type, tx, id):")
        _print_cases(pg["cases_with_type_index"])
        print("PostgreSQL plans (from the middle of the feed):")
        _print_plans(pg["plans"])
        print("  with an index on (type, tx, id):")
        _print_plans(pg["plans_with_type_index"])


if __name__ == "__main__":
    main()
