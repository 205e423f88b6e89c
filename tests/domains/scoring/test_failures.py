"""A failed run's reason: a few kinds, each in plain English and 中文, never the raw error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from tenure.analytics.clv.base import ConvergenceError
from tenure.domains.audit.service import SYSTEM
from tenure.domains.scoring import failures, requests
from tenure.kit.errors import ConfigurationError, InvalidInput
from tenure.storage.engine import make_engine

DAY = date(2026, 3, 31)


def _real_error(path: Path, *, busy: bool) -> OperationalError:
    """Return the error SQLite raises on a write while another holds the lock, or on a full disk."""
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=0)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT)"))
    with engine.connect() as holder, engine.connect() as conn:
        if busy:
            holder.execute(text("INSERT INTO t VALUES ('holding the write lock')"))
        else:
            conn.exec_driver_sql("PRAGMA max_page_count = 1")  # no page to grow into
        with pytest.raises(OperationalError) as raised:
            conn.execute(text("CREATE TABLE more (v TEXT)"))
    engine.dispose()
    return raised.value


def test_failures_are_sorted_into_kinds(tmp_path: Path) -> None:
    busy = _real_error(tmp_path / "a.db", busy=True)
    full = _real_error(tmp_path / "b.db", busy=False)
    assert failures.classify(busy) == failures.STORE_BUSY
    assert failures.classify(full) == failures.OUT_OF_DISK
    assert failures.classify(OSError(28, "No space left on device")) == failures.OUT_OF_DISK
    assert failures.classify(ConvergenceError("BetaGeo did not converge")) == "model_failed"
    assert failures.classify(np.linalg.LinAlgError("singular")) == "model_failed"
    assert failures.classify(InvalidInput("column 'T' must be ≥ 0")) == "model_failed"
    unknown = ConfigurationError("stage preset must be ecommerce or saas")
    assert failures.classify(unknown) == "bad_settings"
    assert "Settings" in failures.reason("bad_settings")["en"]  # type: ignore[index]
    assert failures.classify(KeyError("customer_id")) == failures.UNEXPECTED


def test_every_kind_is_said_in_both_languages() -> None:
    for kind, words in failures.REASONS.items():
        assert set(words) == {"en", "zh"}, kind
        assert all(text.strip() for text in words.values()), kind
    assert failures.reason(None) is None


def test_a_request_shows_its_reason_and_never_an_older_raw_error(conn: Connection) -> None:
    failed = requests.request_run(conn, SYSTEM, DAY)
    requests.finish(conn, failed, error=failures.STORE_BUSY)
    shown = requests.get(conn, failed)
    assert shown["status"] == "failed" and shown["error"] == "store_busy"
    assert shown["reason"] == failures.REASONS["store_busy"]
    # what an older version kept: the exception with its SQL and parameters
    raw = requests.request_run(conn, SYSTEM, DAY)
    requests.finish(conn, raw, error="OperationalError: database is locked [SQL: INSERT INTO …]")
    older = requests.get(conn, raw)
    assert older["error"] == "unexpected" and older["reason"] == failures.REASONS["unexpected"]
    assert [r["error"] for r in requests.recent(conn, 2)] == ["unexpected", "store_busy"]
    done = requests.request_run(conn, SYSTEM, DAY)
    assert requests.get(conn, done)["reason"] is None
