"""The store as of a day, as frames with business-day numbers: nothing after the day is seen."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import polars as pl
from sqlalchemy import Connection, func, select

from tenure.domains.registry import metadata
from tenure.kit.timeutil import start_of_day

EVENT_WINDOW_DAYS = 90  # the features look at the last 90 days of activity


def _frame(
    conn: Connection, statement: object, schema: dict[str, pl.DataType | type[pl.DataType]]
) -> pl.DataFrame:
    rows = conn.execute(statement).all()  # type: ignore[call-overload]
    return pl.DataFrame(rows, schema=list(schema), orient="row").cast(schema)  # type: ignore[arg-type]


def _local_day(column: str, timezone: str) -> pl.Expr:
    """UTC timestamps to day numbers (days since 1970-01-01) in the business time zone."""
    return (
        pl.col(column)
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone)
        .dt.date()
        .cast(pl.Int32)
    )


def take_snapshot(conn: Connection, as_of: date, timezone: str) -> dict[str, pl.DataFrame]:
    """Read everything known by the end of ``as_of`` (business time zone)."""
    cutoff = start_of_day(as_of + timedelta(days=1), timezone)
    t = metadata().tables
    c, o, e, s, sub = (
        t["customers"],
        t["orders"],
        t["events"],
        t["survey_responses"],
        t["subscriptions"],
    )
    ts = pl.Datetime("us", "UTC")
    known = func.coalesce(c.c.acquired_at, c.c.created_at)
    customers = _frame(
        conn,
        select(c.c.id, known, c.c.acquisition_channel, c.c.email_consent, c.c.company_size).where(
            known < cutoff
        ),
        {
            "customer_id": pl.Int64,
            "acquired_at": ts,
            "acquisition_channel": pl.String,
            "email_consent": pl.Boolean,
            "company_size": pl.String,
        },
    )
    orders = _frame(
        conn,
        select(o.c.customer_id, o.c.ordered_at, o.c.status, o.c.amount).where(
            o.c.ordered_at < cutoff
        ),
        {"customer_id": pl.Int64, "at": ts, "status": pl.String, "amount": pl.Float64},
    )
    window = start_of_day(as_of - timedelta(days=EVENT_WINDOW_DAYS), timezone)
    events = _frame(
        conn,
        select(e.c.customer_id, e.c.occurred_at, e.c.type).where(
            e.c.occurred_at < cutoff, e.c.occurred_at >= window
        ),
        {"customer_id": pl.Int64, "at": ts, "type": pl.String},
    )
    surveys = _frame(
        conn,
        select(s.c.customer_id, s.c.answered_at, s.c.score).where(s.c.answered_at < cutoff),
        {"customer_id": pl.Int64, "at": ts, "score": pl.Int64},
    )
    contracts = _frame(
        conn,
        select(sub.c.customer_id, sub.c.started_at, sub.c.cancelled_at).where(
            sub.c.started_at < cutoff
        ),
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
        "events": events.select("customer_id", _local_day("at", timezone).alias("day"), "type"),
        "surveys": surveys.select("customer_id", _local_day("at", timezone).alias("day"), "score"),
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
        frame = frames[name].sort(frames[name].columns)
        digest.update(f"{name}:{frame.height}:".encode())
        digest.update(str(int(frame.hash_rows(seed=7).sum()) if frame.height else 0).encode())
    return digest.hexdigest()
