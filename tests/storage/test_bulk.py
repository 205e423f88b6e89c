"""Bulk upserts insert, update what changed, and leave equal rows untouched."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Connection, Engine, select, text

from tenure.domains.registry import metadata
from tenure.storage import staging
from tenure.storage.bulk import insert_frames, write_frame
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade

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


def _spend_rows(n: int, amount: str) -> pl.DataFrame:
    start = datetime(2020, 1, 1).date()
    return pl.DataFrame(
        {
            "channel": [f"ch{i % 7}" for i in range(n)],
            "period_start": [start + timedelta(days=i) for i in range(n)],
            "period_end": [start + timedelta(days=i) for i in range(n)],
            "amount": pl.Series([amount] * n).cast(pl.Decimal(18, 2)),
            "currency": ["USD"] * n,
        }
    )


def _staging_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("tenure-stage-*.db")}


@pytest.fixture
def small_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage frames of 20+ rows, 30 rows per staging file, at most 3 files per transaction."""
    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 20)
    monkeypatch.setattr(staging, "STAGE_MAX_ROWS", 30)
    monkeypatch.setattr(staging, "MAX_ATTACHED", 3)


@pytest.mark.usefixtures("small_stages")
def test_staged_writes_equal_row_by_row_writes(sqlite_database: Engine) -> None:
    # 140 rows: three staged slices of 30, then (no more files allowed) executemany for 50
    table = metadata().tables["marketing_spend"]
    key = ["channel", "period_start", "period_end"]
    before = _staging_files()
    with sqlite_database.connect() as conn, conn.begin() as transaction:
        assert write_frame(conn, table, _spend_rows(140, "1.50"), key=key, stamp=T0) == 140
        assert len(staging._attached(conn.connection.driver_connection)) == 3  # noqa: SLF001
        # the same rows again change nothing; a new amount changes every row
        assert write_frame(conn, table, _spend_rows(140, "1.50"), key=key, stamp=T0) == 0
        assert write_frame(conn, table, _spend_rows(140, "2.25"), key=key, stamp=T0) == 140
        rows = conn.execute(
            select(
                table.c.channel, table.c.period_start, table.c.amount, table.c.created_at
            ).order_by(table.c.period_start)
        ).all()
        transaction.rollback()
    assert len(rows) == 140
    assert rows[0] == ("ch0", datetime(2020, 1, 1).date(), Decimal("2.25"), T0)
    assert rows[139][:2] == ("ch6", datetime(2020, 1, 1).date() + timedelta(days=139))
    assert _staging_files() == before  # detached and deleted when the connection went back


@pytest.mark.usefixtures("small_stages")
def test_staged_rows_commit_and_roll_back_with_the_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    table = metadata().tables["marketing_spend"]
    with engine.connect() as conn, conn.begin() as transaction:
        write_frame(conn, table, _spend_rows(25, "1.00"), stamp=T0)
        transaction.rollback()
    with engine.begin() as conn:
        write_frame(conn, table, _spend_rows(25, "3.00"), stamp=T0)
    with engine.connect() as conn:
        amounts = conn.execute(select(table.c.amount)).scalars().all()
    engine.dispose()
    assert amounts == [Decimal("3.00")] * 25


@pytest.mark.usefixtures("small_stages")
def test_insert_frames_writes_each_frame_in_order(conn: Connection) -> None:
    # two frames staged side by side (on SQLite), one small enough to go row by row
    table = metadata().tables["marketing_spend"]
    stamp = pl.lit(T0).cast(pl.Datetime("us", "UTC"))

    def rows(n: int, first_day: int) -> pl.DataFrame:
        frame = _spend_rows(n, "4.00").with_columns(
            pl.col("period_start") + timedelta(days=first_day),
            pl.col("period_end") + timedelta(days=first_day),
        )
        return frame.with_columns(stamp.alias("created_at"), stamp.alias("updated_at"))

    written = insert_frames(
        conn, [(table, rows(25, 0)), (table, rows(5, 100)), (table, rows(28, 200))]
    )
    assert written == [25, 5, 28]
    days = conn.execute(select(table.c.period_start).order_by(table.c.period_start)).scalars()
    start = datetime(2020, 1, 1).date()
    expected = [start + timedelta(days=d) for d in [*range(25), *range(100, 105), *range(200, 228)]]
    assert list(days) == expected
