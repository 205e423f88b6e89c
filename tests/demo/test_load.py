"""The demo company lands in the store, and its files import into an empty store unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from tenure.demo.config import DemoConfig
from tenure.demo.files import write_files
from tenure.demo.generate import DemoData, generate
from tenure.demo.load import load_into_store
from tenure.domains.dataio.service import ImportOptions, import_file
from tests.domains.dataio.helpers import count

NOW = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate(DemoConfig(customers=600, seed=3, end=date(2026, 6, 30)))


def test_load_into_store(conn: Connection, small: DemoData) -> None:
    load_into_store(conn, small, NOW)
    for table, rows in small.counts().items():
        assert count(conn, table) == rows, table


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_demo_files_import_cleanly(
    conn: Connection, small: DemoData, tmp_path: Path, fmt: str
) -> None:
    files = write_files(small, tmp_path, fmt)
    # owners must exist before customers name them
    load_into_store(conn, DemoData({"users": small.tables["users"]}, small.truth, {}), NOW)
    for entity in ("customers", "orders", "events", "spend", "surveys"):
        report = import_file(conn, ImportOptions(entity, files[entity]), now=NOW)
        assert not report.problems, (entity, report.problems[:3])
    for table in ("customers", "orders", "order_lines", "marketing_spend", "survey_responses"):
        assert count(conn, table) == small.counts()[table], table
    customer_events = conn.execute(
        text("SELECT COUNT(*) FROM events WHERE type <> 'survey_answered'")
    ).scalar_one()
    assert customer_events == small.counts()["events"]
    # each imported survey answer is also news in the feed, once
    answered = conn.execute(
        text("SELECT COUNT(*) FROM events WHERE type = 'survey_answered'")
    ).scalar_one()
    assert answered == small.counts()["survey_responses"]
