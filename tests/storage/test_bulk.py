"""Bulk upserts insert, update what changed, and leave equal rows untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Connection, select, text

from tenure.domains.registry import metadata
from tenure.storage.bulk import write_frame

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _spend(amount: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "channel": ["social", "referral"],
            "period_start": [datetime(2024, 1, 1).date()] * 2,
            "period_end": [datetime(2024, 1, 31).date()] * 2,
            "amount": pl.Series([amount, "5.00"]).cast(pl.Decimal(18, 2)),
            "currency": ["USD", "USD"],
        }
    )


def test_upsert_changes_only_what_differs(conn: Connection) -> None:
    table = metadata().tables["marketing_spend"]
    key = ["channel", "period_start", "period_end"]
    assert write_frame(conn, table, _spend("10.00"), key=key, stamp=T0) == 2
    assert write_frame(conn, table, _spend("10.00"), key=key, stamp=T0 + timedelta(1)) == 0
    stamps = {r.channel: r.updated_at for r in conn.execute(select(table))}
    assert write_frame(conn, table, _spend("12.50"), key=key, stamp=T0 + timedelta(2)) == 1
    after = {r.channel: (r.updated_at, r.amount) for r in conn.execute(select(table))}
    assert float(after["social"][1]) == 12.5
    assert after["referral"][0] == stamps["referral"]  # untouched row keeps its stamp
    assert after["social"][0] != stamps["social"]


def test_explicit_ids_leave_room_for_new_rows(conn: Connection) -> None:
    users = metadata().tables["users"]
    frame = pl.DataFrame(
        {
            "id": [41, 42],
            "name": ["A", "B"],
            "email": ["a@x.io", "b@x.io"],
            "role": ["admin", "viewer"],
        }
    )
    stamp = pl.lit(T0).cast(pl.Datetime("us", "UTC"))
    write_frame(
        conn, users, frame.with_columns(stamp.alias("created_at"), stamp.alias("updated_at"))
    )
    conn.execute(
        text(
            "INSERT INTO users (name, email, role, created_at, updated_at) "
            "VALUES ('C', 'c@x.io', 'viewer', :t, :t)"
        ),
        {"t": T0.replace(tzinfo=None)},
    )
    new_id = conn.execute(text("SELECT id FROM users WHERE email = 'c@x.io'")).scalar_one()
    assert new_id > 42
