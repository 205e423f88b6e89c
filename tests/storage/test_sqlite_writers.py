"""SQLite under several writers: who waits, who fails, what retries, and what WAL changes."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, text
from sqlalchemy.exc import OperationalError

from tenure.storage import staging
from tenure.storage.arrow import arrow_reader
from tenure.storage.bulk import insert_frames
from tenure.storage.engine import make_engine, retry_when_busy, write_transaction
from tenure.storage.errors import is_busy, is_out_of_space

META = MetaData()
NOTES = Table("notes", META, Column("id", Integer, primary_key=True), Column("body", String))


def _store(path: Path, busy_timeout_ms: int = 30_000) -> Engine:
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=busy_timeout_ms)
    META.create_all(engine)
    return engine


def _add(conn: Connection, body: str) -> None:
    conn.execute(NOTES.insert().values(body=body))


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM notes")).scalar_one())


def test_a_plain_transaction_that_read_first_cannot_write_after_another_commit(
    tmp_path: Path,
) -> None:
    """Why writers need BEGIN IMMEDIATE: the busy timeout does not help a stale snapshot."""
    engine = _store(tmp_path / "s.db")
    with engine.begin() as reader:
        assert reader.execute(text("SELECT COUNT(*) FROM notes")).scalar_one() == 0
        with engine.begin() as other:  # commits after the first read
            _add(other, "theirs")
        with pytest.raises(OperationalError) as failed:
            _add(reader, "mine")  # "database is locked" at once, despite the 30 s timeout
        reader.rollback()
    assert is_busy(failed.value)
    assert _count(engine) == 1


def test_a_write_transaction_waits_for_the_lock_and_both_writes_land(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db")
    started, errors = threading.Event(), []

    def other_writer() -> None:
        started.set()
        try:
            with write_transaction(engine) as other:  # waits until ours commits
                _add(other, "theirs")
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    with write_transaction(engine) as mine:
        assert mine.execute(text("SELECT COUNT(*) FROM notes")).scalar_one() == 0
        thread = threading.Thread(target=other_writer)
        thread.start()
        started.wait()
        _add(mine, "mine")
    thread.join()
    assert errors == [] and _count(engine) == 2


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db", busy_timeout_ms=0)
    with write_transaction(engine) as writer:
        _add(writer, "not yet committed")
        assert _count(engine) == 0  # WAL: the reader sees the last commit, at once


def test_a_busy_write_is_tried_again_until_the_lock_is_free(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db", busy_timeout_ms=50)
    holding, release = threading.Event(), threading.Event()

    def long_writer() -> None:  # an import, say, holding the write lock for a while
        with write_transaction(engine) as conn:
            _add(conn, "long")
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=long_writer)
    thread.start()
    holding.wait()
    with pytest.raises(OperationalError) as once:
        retry_when_busy(engine, lambda conn: _add(conn, "no retry"), attempts=1)
    assert is_busy(once.value)
    threading.Timer(0.5, release.set).start()
    retry_when_busy(engine, lambda conn: _add(conn, "retried"), attempts=5, pause=0.2)
    thread.join()
    with engine.connect() as conn:
        bodies = set(conn.execute(text("SELECT body FROM notes")).scalars())
    assert bodies == {"long", "retried"}


def test_a_full_disk_is_told_apart(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db")
    with write_transaction(engine) as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 1")  # no room to grow: SQLITE_FULL
        with pytest.raises(OperationalError) as full:
            conn.execute(NOTES.insert(), [{"body": "x" * 1000}] * 1000)
        conn.rollback()
    assert is_out_of_space(full.value) and not is_busy(full.value)
    assert is_out_of_space(OSError(28, "No space left on device"))
    assert not is_out_of_space(RuntimeError("something else")) and not is_busy(RuntimeError())


def test_the_arrow_reader_sees_commits_still_in_the_wal(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db")
    with engine.connect() as keeper:  # an open connection: nothing checkpoints on close
        keeper.execute(text("SELECT 1")).all()
        with write_transaction(engine) as conn:
            conn.execute(NOTES.insert(), [{"body": str(n)} for n in range(100)])
        assert (tmp_path / "s.db-wal").stat().st_size > 0
        reader = arrow_reader(engine)
        assert reader is not None
        [table] = reader(["SELECT COUNT(*) AS n FROM notes"])
        assert table.column("n").to_pylist() == [100]


def test_a_closed_store_is_one_file_to_copy(tmp_path: Path) -> None:
    """WAL keeps recent commits in a side file; closing the last connection folds them in."""
    engine = _store(tmp_path / "s.db")
    with write_transaction(engine) as conn:
        _add(conn, "kept")
    engine.dispose()
    assert not (tmp_path / "s.db-wal").exists()
    shutil.copy(tmp_path / "s.db", tmp_path / "copy.db")
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT body FROM notes").fetchall() == [("kept",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # kept in the file
    copy.close()


def test_staged_writes_inside_a_write_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scratch file attached to a WAL store stays a plain file and is gone afterwards."""
    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 20)
    engine = _store(tmp_path / "s.db")
    scratch = Path(tempfile.gettempdir())
    before = set(scratch.glob("tenure-stage-*"))
    frame = pl.DataFrame({"id": range(1, 101), "body": ["staged"] * 100})
    with write_transaction(engine) as conn:
        insert_frames(conn, [(NOTES, frame), (NOTES, frame.with_columns(pl.col("id") + 100))])
        raw = conn.connection.driver_connection
        listed = raw.execute("PRAGMA database_list").fetchall()
        aliases = [name for _, name, _ in listed if name.startswith(staging.ALIAS_PREFIX)]
        assert aliases
        modes = {raw.execute(f"PRAGMA {a}.journal_mode").fetchone()[0] for a in aliases}
        assert modes == {"delete"}  # only main is WAL: no -wal file beside the scratch file
    assert _count(engine) == 200
    engine.dispose()
    assert set(scratch.glob("tenure-stage-*")) == before
