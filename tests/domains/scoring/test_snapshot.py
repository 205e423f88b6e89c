"""The snapshot reads the same frames through the connection and through Arrow."""

from __future__ import annotations

from datetime import UTC, date, datetime

from polars.testing import assert_frame_equal
from sqlalchemy import create_engine, text

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.snapshot import take_snapshot
from tenure.storage.arrow import arrow_reader
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade


def test_arrow_reads_what_the_connection_reads(empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    company = generate(DemoConfig(customers=2500, seed=9, end=date(2026, 6, 30)))
    with engine.begin() as conn:
        load_into_store(conn, company, datetime(2026, 7, 1, tzinfo=UTC))
        # a long run of missing text before a value: the Arrow driver types a column by its
        # first rows and must not trip over the value
        conn.execute(
            text(
                "UPDATE customers SET acquisition_channel = NULL, company_size = NULL "
                "WHERE id <= 2400"
            )
        )
    reader = arrow_reader(engine)
    assert reader is not None
    for as_of, zone in ((date(2026, 6, 30), "UTC"), (date(2026, 3, 1), "Asia/Shanghai")):
        with engine.connect() as conn:
            by_rows = take_snapshot(conn, as_of, zone, 270)
            by_arrow = take_snapshot(conn, as_of, zone, 270, reader, reader_min_rows=0)
        for name, frame in by_rows.items():
            assert_frame_equal(frame, by_arrow[name])
        assert by_rows["orders"].height > 1000 and by_rows["events"].height > 1000
        assert by_arrow["customers"]["acquisition_channel"].null_count() > 1500
    # the reader's own SQLite lives in another process: this process's locks stay intact, so
    # the run's transaction can write after reading (it could not with two SQLite copies)
    with engine.begin() as conn:
        take_snapshot(conn, date(2026, 6, 30), "UTC", 270, reader, reader_min_rows=0)
        conn.execute(text("UPDATE customers SET name = name WHERE id = 1"))


def test_small_stores_are_read_on_the_connection(empty_sqlite_url: str) -> None:
    """Below READER_MIN_ROWS the reader's processes would cost more than they save."""
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)

    def refuse(queries: object) -> list[object]:
        raise AssertionError("the reader was used for a small store")

    with engine.connect() as conn:
        assert take_snapshot(conn, date(2026, 6, 30), "UTC", 270, refuse)["orders"].is_empty()


def test_no_arrow_reader_for_postgresql_or_memory() -> None:
    assert arrow_reader(create_engine("sqlite://")) is None
    assert arrow_reader(create_engine("postgresql+psycopg://u@localhost/x")) is None
