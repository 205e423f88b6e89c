"""The store as of a day, as frames with business-day numbers: nothing after the day is seen."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ColumnExpressionArgument,
    Connection,
    Float,
    Select,
    Table,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from tenure.analytics.features import day_number
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event, SystemEventType
from tenure.domains.marketing.models import MarketingSpend
from tenure.domains.orders.models import Order, OrderLine
from tenure.domains.subscriptions.models import Subscription
from tenure.domains.surveys.models import SurveyResponse
from tenure.kit.timeutil import start_of_day
from tenure.storage.arrow import ArrowReader
from tenure.storage.base import table_of

SYSTEM_TYPES = [kind.value for kind in SystemEventType]
EVENT_WINDOW_DAYS = 90  # the features look at the last 90 days of activity
TIMESTAMP = pl.Datetime("us", "UTC")


Schema = dict[str, pl.DataType | type[pl.DataType]]
AnySelect = Select[*tuple[Any, ...]]  # a SELECT of any columns
Query = tuple[AnySelect, Schema, Table | None]  # statement, schema, table to split it by


def _typed(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Name the columns, turn epoch seconds into UTC timestamps and cast to ``schema``."""
    if frame.width == 0:  # an empty result without columns
        return pl.DataFrame(schema=schema)
    frame = frame.rename(dict(zip(frame.columns, schema, strict=True)))
    epochs = [n for n, t in schema.items() if t == TIMESTAMP]
    return frame.with_columns(
        pl.from_epoch(pl.col(n).cast(pl.Int64), "s").dt.replace_time_zone("UTC") for n in epochs
    ).cast(schema)  # type: ignore[arg-type]


def _frame(conn: Connection, statement: AnySelect, schema: Schema) -> pl.DataFrame:
    # straight from the driver's cursor: the columns need no conversion on the way (epochs,
    # floats, text), and skipping the Row objects saves a quarter of the read
    rows = conn.execute(statement).cursor.fetchall()
    return _typed(
        pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None), schema
    )


PARTS = 2  # each big table is read in this many rowid ranges, one process each
# Below this many rows in the tables read, the reader's child processes (each starts Python
# and the driver, about a second of CPU) cost more than they save: the default demo's 1.6M
# rows read in 2.8 s on the connection and in 7.6–12 s through the reader on a busy 2-core
# machine; at a million customers (40M rows) the reader wins by far.
READER_MIN_ROWS = 4_000_000


def _frames(
    conn: Connection,
    queries: list[Query],
    reader: ArrowReader | None,
    min_rows: int = READER_MIN_ROWS,
) -> list[pl.DataFrame]:
    """Read several queries (statement, schema, table): side by side through ``reader``.

    With a reader, each query with a table is split into rowid ranges of it, so the reads
    share the cores evenly (an aggregate, with None, is read whole); without a reader, the
    queries run one by one on ``conn``.
    """
    tops = (
        {}
        if reader is None
        else {t.name: _top_rowid(conn, t) for _, _, t in queries if t is not None}
    )
    if reader is None or sum(tops.values()) < min_rows:
        return [_frame(conn, statement, schema) for statement, schema, _ in queries]
    texts, owners = [], []
    for index, (statement, _, table) in enumerate(queries):
        top = 0 if table is None else tops[table.name]
        for part in _rowid_ranges(statement, table, top):
            compiled = part.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            texts.append(str(compiled))
            owners.append(index)
    tables: list[list[pl.DataFrame]] = [[] for _ in queries]
    for owner, table_read in zip(owners, reader(texts), strict=True):
        frame = pl.from_arrow(table_read)
        assert isinstance(frame, pl.DataFrame)  # noqa: S101  (from_arrow of a table)
        if frame.width:
            tables[owner].append(frame)
    # one chunk per column: the driver hands over thousands of small batches, and every
    # later step (Polars and DuckDB alike) pays for each one
    return [
        _typed(
            pl.concat(parts, how="vertical_relaxed", rechunk=True) if parts else pl.DataFrame(),
            schema,
        )
        for parts, (_, schema, _) in zip(tables, queries, strict=True)
    ]


# _top_rowid and _rowid_ranges take any table, as a Table: the big reads (customers, orders,
# events) are all split the same way, by SQLite's rowid, which no model declares as a column.
def _top_rowid(conn: Connection, table: Table) -> int:
    """Return the largest rowid of ``table`` (about its row count; 0 when empty)."""
    found = conn.execute(select(func.max(literal_column("rowid"))).select_from(table)).scalar()
    return int(found or 0)


def _rowid_ranges(statement: AnySelect, table: Table | None, top: int) -> list[AnySelect]:
    """Split ``statement`` into PARTS rowid ranges of ``table`` (None: an aggregate, kept whole)."""
    if table is None:
        return [statement]
    step = top // PARTS + 1
    return [
        statement.where(literal_column(f"{table.name}.rowid").between(low, low + step - 1))
        for low in range(0, top + 1, step)
    ]


def _epoch(column: ColumnExpressionArgument[Any], dialect: str) -> ColumnElement[int]:
    """Whole seconds since 1970 (UTC), computed by the database.

    Integers cross the driver far faster than timestamps, which each become a Python datetime;
    truncating to the second never moves a moment across midnight.
    """
    if dialect == "sqlite":
        # unixepoch() (SQLite 3.38+) is a quarter faster than strftime('%s')
        fn = func.unixepoch if sqlite3.sqlite_version_info >= (3, 38) else None
        return cast(fn(column) if fn else func.strftime("%s", column), BigInteger)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _scanned(column: InstrumentedAttribute[Any], dialect: str) -> ColumnElement[Any]:
    """Return the column in a form SQLite will not answer through an index.

    Nearly every order (and a third of the events) passes the cutoff: one scan of the table
    beats a look-up per row through the date index by 4–7×. SQLite's unary + is a no-op that
    keeps the planner off the index.
    """
    if dialect != "sqlite":
        return column.expression
    table = column.class_.__tablename__  # a model's attribute: its column's table and name
    return literal_column(f"+{table}.{column.key}", type_=column.expression.type)


# Stands for NULL in text columns read through the Arrow reader: its driver types a column
# by its first rows and fails on a text after a run of NULLs. No name holds a NUL character.
_NULL_TEXT = "\x00"


def _text(column: InstrumentedAttribute[str | None], dialect: str) -> ColumnElement[Any]:
    """Return a nullable text column with NULL written as _NULL_TEXT (SQLite only)."""
    if dialect != "sqlite":
        return column.expression
    return func.coalesce(column, func.char(0), type_=column.expression.type)


def _untext(frame: pl.DataFrame, *names: str) -> pl.DataFrame:
    """Turn _NULL_TEXT back into nulls in ``names``."""
    return frame.with_columns(
        pl.when(pl.col(n) != _NULL_TEXT).then(pl.col(n)).alias(n) for n in names
    )


def _amount(column: ColumnExpressionArgument[Any]) -> ColumnElement[float]:
    """Money as a float (a Decimal per row costs more than the whole scan)."""
    return cast(column, Float)


def _local_day(column: str, timezone: str) -> pl.Expr:
    """UTC timestamps to day numbers (days since 1970-01-01) in the business time zone."""
    return (
        pl.col(column)
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone)
        .dt.date()
        .cast(pl.Int32)
    )


def take_snapshot(
    conn: Connection,
    as_of: date,
    timezone: str,
    event_days: int = EVENT_WINDOW_DAYS,
    reader: ArrowReader | None = None,
    reader_min_rows: int = READER_MIN_ROWS,
) -> dict[str, pl.DataFrame]:
    """Read everything known by the end of ``as_of`` (business time zone).

    Events are read for the last ``event_days`` days only: the features look at 90, the churn
    model's past snapshots further back. ``categories`` counts each buyer's distinct product
    categories (paid orders; the cross-sell KPI). With a ``reader`` (``tenure.storage.arrow``),
    orders, events and categories — the big reads, whose columns are never empty — come as
    Arrow through it, side by side — once those tables hold ``reader_min_rows`` rows.
    """
    cutoff = start_of_day(as_of + timedelta(days=1), timezone)
    c, o, e, s, sub, lines = Customer, Order, Event, SurveyResponse, Subscription, OrderLine
    ts = TIMESTAMP
    dialect = conn.dialect.name
    known = func.coalesce(c.acquired_at, c.created_at)
    customer_query: Query = (
        select(
            c.id,
            _epoch(known, dialect),
            _text(c.acquisition_channel, dialect),
            c.email_consent,
            _text(c.company_size, dialect),
        ).where(known < cutoff),
        {
            "customer_id": pl.Int64,
            "acquired_at": ts,
            "acquisition_channel": pl.String,
            "email_consent": pl.Boolean,
            "company_size": pl.String,
        },
        table_of(Customer),
    )
    window = start_of_day(as_of - timedelta(days=event_days), timezone)
    order_query = select(
        o.customer_id, _epoch(o.ordered_at, dialect), o.status, _amount(o.amount)
    ).where(_scanned(o.ordered_at, dialect) < cutoff)
    order_schema: Schema = {
        "customer_id": pl.Int64,
        "at": ts,
        "status": pl.String,
        "amount": pl.Float64,
    }
    event_query: Query = (
        select(e.customer_id, _epoch(e.occurred_at, dialect), e.type).where(
            _scanned(e.occurred_at, dialect) < cutoff,
            _scanned(e.occurred_at, dialect) >= window,
        ),
        {"customer_id": pl.Int64, "at": ts, "type": pl.String},
        table_of(Event),
    )
    # the big reads, side by side when a reader is given; categories feed the cross-sell KPI
    customers, orders, events, categories = _frames(
        conn,
        [
            customer_query,
            (order_query, order_schema, table_of(Order)),
            event_query,
            (
                select(o.customer_id, func.count(func.distinct(lines.category)))
                .join(lines, lines.order_id == o.id)
                .where(o.ordered_at < cutoff, o.status == "paid")
                .group_by(o.customer_id),
                {"customer_id": pl.Int64, "categories": pl.Int64},
                None,
            ),
        ],
        reader,
        reader_min_rows,
    )
    customers = _untext(customers, "acquisition_channel", "company_size")
    surveys = _frame(
        conn,
        select(s.customer_id, _epoch(s.answered_at, dialect), s.score).where(
            s.answered_at < cutoff
        ),
        {"customer_id": pl.Int64, "at": ts, "score": pl.Int64},
    )
    contracts = _frame(
        conn,
        select(
            sub.customer_id,
            _epoch(sub.started_at, dialect),
            _epoch(sub.cancelled_at, dialect),
        ).where(sub.started_at < cutoff),
        {"customer_id": pl.Int64, "started": ts, "cancelled": ts},
    )
    return {
        "customers": customers.select(
            "customer_id",
            _local_day("acquired_at", timezone).alias("acquired_day"),
            "acquisition_channel",
            "email_consent",
            "company_size",
        ),
        "orders": orders.select(
            "customer_id", _local_day("at", timezone).alias("day"), "status", "amount"
        ),
        # what Tenure and its users did (stage changes, tasks …) is no customer activity; left
        # out here, not in SQL: a NOT IN per row cost 4–7 s of the read at 20M events, this 0.6 s
        "events": events.filter(~pl.col("type").is_in(SYSTEM_TYPES)).select(
            "customer_id", _local_day("at", timezone).alias("day"), "type"
        ),
        "surveys": surveys.select("customer_id", _local_day("at", timezone).alias("day"), "score"),
        "categories": categories,
        "subscriptions": contracts.select(
            "customer_id",
            _local_day("started", timezone).alias("started_day"),
            # a cancellation after the as-of day is not known yet
            pl.when(pl.col("cancelled") < cutoff)
            .then(_local_day("cancelled", timezone))
            .alias("cancelled_day"),
        ),
    }


def fingerprint(frames: dict[str, pl.DataFrame]) -> str:
    """Return a digest of the snapshot's content: the same data, the same fingerprint."""
    digest = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]  # a sum of row hashes does not depend on the rows' order
        digest.update(f"{name}:{frame.height}:".encode())
        digest.update(str(int(frame.hash_rows(seed=7).sum()) if frame.height else 0).encode())
    return digest.hexdigest()


def take_spend(conn: Connection, as_of: date) -> pl.DataFrame:
    """Read the marketing spend up to ``as_of``: (channel, start_day, end_day, amount).

    A record running past the as-of day is cut at it, its amount in proportion.
    """
    ms = MarketingSpend
    rows = conn.execute(
        select(ms.channel, ms.period_start, ms.period_end, _amount(ms.amount)).where(
            ms.period_start <= as_of
        )
    ).all()
    d = day_number(as_of)
    spend = pl.DataFrame(
        [(ch, day_number(a), day_number(b), amount) for ch, a, b, amount in rows],
        schema={
            "channel": pl.String,
            "start_day": pl.Int32,
            "end_day": pl.Int32,
            "amount": pl.Float64,
        },
        orient="row",
    )
    length = pl.col("end_day") - pl.col("start_day") + 1
    spend = spend.with_columns(
        (
            pl.col("amount")
            * (pl.min_horizontal("end_day", pl.lit(d)) - pl.col("start_day") + 1)
            / length
        ).alias("amount"),
        pl.min_horizontal("end_day", pl.lit(d)).cast(pl.Int32).alias("end_day"),
    )
    return spend


def take_purchases(conn: Connection, as_of: date, timezone: str) -> pl.DataFrame:
    """Read every paid order line up to ``as_of``: customer_id, day, product_id, category.

    The cross-sell sequences' input (``tenure.analytics.sequences.PURCHASE_SCHEMA``).
    """
    cutoff = start_of_day(as_of + timedelta(days=1), timezone)
    o, lines = Order, OrderLine
    dialect = conn.dialect.name
    frame = _frame(
        conn,
        select(o.customer_id, _epoch(o.ordered_at, dialect), lines.product_id, lines.category)
        .join(lines, lines.order_id == o.id)
        .where(_scanned(o.ordered_at, dialect) < cutoff, o.status == "paid"),
        {"customer_id": pl.Int64, "at": TIMESTAMP, "product_id": pl.String, "category": pl.String},
    )
    return frame.select(
        "customer_id", _local_day("at", timezone).alias("day"), "product_id", "category"
    )
