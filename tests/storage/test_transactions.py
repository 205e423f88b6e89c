"""Transactions are real on both databases: DDL rolls back, FK checks never leak."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tenure.domains.dataio.service import ImportOptions, ImportRejected, import_file
from tenure.storage.engine import bulk_load, make_engine
from tenure.storage.migrate import upgrade
from tests.domains.dataio.helpers import NOW, write


@pytest.fixture
def fresh_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)
    return engine


def test_a_rejected_first_import_keeps_every_index(fresh_engine: Engine, tmp_path: Path) -> None:
    """A first load defers the table's indexes; a rollback must bring them back."""
    before = {ix["name"] for ix in inspect(fresh_engine).get_indexes("customers")}
    bad = write(tmp_path / "c.csv", "customer_id,birthday\nc1,1990-01-01\nc2,soon\n")
    with pytest.raises(ImportRejected), bulk_load(fresh_engine) as conn:
        import_file(conn, ImportOptions("customers", bad), now=NOW)
    after = {ix["name"] for ix in inspect(fresh_engine).get_indexes("customers")}
    assert after == before
    assert "ix_customers_email" in after
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM customers")).scalar_one() == 0


def test_foreign_keys_are_enforced_after_a_bulk_load(fresh_engine: Engine) -> None:
    with bulk_load(fresh_engine) as conn:
        conn.execute(text("SELECT 1"))
    orphan = text(
        "INSERT INTO orders (external_id, customer_id, ordered_at, status, amount, "
        "discount, currency, created_at, updated_at) VALUES ('x', 999, "
        "'2024-01-01', 'paid', 1, 0, 'USD', '2024-01-01', '2024-01-01')"
    )
    with pytest.raises(IntegrityError), fresh_engine.begin() as conn:
        conn.execute(orphan)
