"""The migration builds the schema the models describe, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from tenure.domains.registry import metadata
from tenure.storage.engine import make_engine
from tenure.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import scratch_store


def test_upgrade_creates_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata().tables) <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata())
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)


def test_current_stages_keep_their_numbers_through_0011(tmp_path: Path) -> None:
    # a store at 0010 with one finished run, then upgraded: the current stage (now a view of
    # the run's history) still shows the numbers that decided it; downgraded: a table again
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine, "0010")
    now = "2026-07-01 00:00:00.000000"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, external_id, name, email_consent, sms_consent, "
                "created_at, updated_at) VALUES (1, 'c1', 'c1', 1, 0, :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO scoring_runs (id, as_of, status, preset, config_hash, "
                "data_fingerprint, started_at) VALUES (1, '2026-06-30', 'done', 'ecommerce', "
                "'c', 'd', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO stage_history (run_id, customer_id, stage, since, rule) "
                "VALUES (1, 1, 'growing', '2026-06-01', 'repeat')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customer_stages (customer_id, run_id, as_of, stage, since, rule, "
                "numbers) VALUES (1, 1, '2026-06-30', 'growing', '2026-06-01', 'repeat', "
                "'{\"frequency\": 2}')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT stage, as_of, numbers FROM customer_stages WHERE customer_id = 1")
        ).one()
    assert (row[0], str(row[1]), json.loads(row[2])) == ("growing", "2026-06-30", {"frequency": 2})
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    with engine.connect() as conn:
        assert "customer_stages" in inspect(conn).get_table_names()
        numbers = conn.execute(text("SELECT numbers FROM customer_stages")).scalar_one()
    assert json.loads(numbers) == {"frequency": 2}
    engine.dispose()


def test_accounts_migrate_a_store_whose_customers_have_owners(tmp_path: Path) -> None:
    # 0012 adds columns to users, which customers.owner_id refers to: it must not rebuild
    # the table (SQLite would refuse to drop the old one with foreign keys on)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine, "0011")
    now = "2026-07-01 00:00:00.000000"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, name, email, role, created_at, updated_at) "
                "VALUES (1, 'Ana', 'ana@example.com', 'sales', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, external_id, name, owner_id, email_consent, "
                "sms_consent, created_at, updated_at) VALUES (1, 'c1', 'c1', 1, 1, 0, :now, :now)"
            ),
            {"now": now},
        )
    upgrade(engine)
    with engine.connect() as conn:
        user = conn.execute(text("SELECT active, password_hash FROM users")).one()
    assert (bool(user[0]), user[1]) == (True, None)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
        owner = conn.execute(text("SELECT owner_id FROM customers")).scalar_one()
    assert "password_hash" not in columns and owner == 1
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty store on each database, for migrating step by step."""
    with scratch_store(request.param, request, tmp_path, migrate=False) as engine:
        yield engine


def test_0015_keeps_gross_margin_and_adds_paid_revenue(fresh_engine: Engine) -> None:
    # a store at 0014: one finished run (margin 0.3) that valued a customer at 30 (margin on
    # 100 paid), and a segment filtering on that figure under its old name
    engine = fresh_engine
    upgrade(engine, "0014")
    now = "2026-07-01 00:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, external_id, name, email_consent, sms_consent, "
                "created_at, updated_at) VALUES (1, 'c1', 'c1', true, false, :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO scoring_runs (id, as_of, status, preset, config_hash, "
                "data_fingerprint, started_at, counts) VALUES (1, '2026-06-30', 'done', "
                "'ecommerce', 'c', 'd', :now, :counts)"
            ),
            {"now": now, "counts": json.dumps({"value": {"margin": 0.3}})},
        )
        conn.execute(
            text(
                "INSERT INTO score_history (run_id, customer_id, clv, historical_value) "
                "VALUES (1, 1, 55.0, 30.0)"
            )
        )
        tree = {"all": [{"field": "historical_value", "op": ">", "value": 10}]}
        conn.execute(
            text(
                "INSERT INTO segments (id, name, filter, members, created_at, updated_at) "
                "VALUES (1, 'paid a lot', :tree, 0, :now, :now)"
            ),
            {"tree": json.dumps(tree), "now": now},
        )
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT clv, paid_revenue, gross_margin FROM customer_scores WHERE customer_id = 1"
            )
        ).one()
        saved = conn.execute(text("SELECT filter FROM segments")).scalar_one()
    assert tuple(row) == (55.0, pytest.approx(100.0), 30.0)
    assert _tree(saved) == {"all": [{"field": "gross_margin", "op": ">", "value": 10}]}
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("score_history")}
        value = conn.execute(text("SELECT historical_value FROM customer_scores")).scalar_one()
        saved = conn.execute(text("SELECT filter FROM segments")).scalar_one()
    assert "paid_revenue" not in columns and "gross_margin" not in columns and value == 30.0
    assert _tree(saved) == tree
    upgrade(engine)  # and up again
    assert current_revision(engine) == head_revision(engine)


def _tree(saved: Any) -> Any:
    return json.loads(saved) if isinstance(saved, str) else saved


def test_0047_gives_order_earnings_back_their_cents(fresh_engine: Engine) -> None:
    # a store at 0034 whose set-based earning stored 120.30 as 120.00 and 999.99 as 1000.00;
    # a basis that was right, one earned on an amount a re-import changed later, and an
    # adjustment stay as they are
    engine = fresh_engine
    upgrade(engine, "0034")
    now = "2026-07-01 00:00:00+00:00"
    orders = {1: "120.30", 2: "999.99", 3: "50.25", 4: "80.00"}
    entries = [  # id, key, kind, basis
        (1, "order:1:base", "earn", "120.00"),
        (2, "order:1:coffee", "earn", "120.00"),
        (3, "order:2:base", "earn", "1000.00"),
        (4, "order:3:base", "earn", "50.25"),
        (5, "order:4:base", "earn", "75.00"),
        (6, "adjust:1", "adjust", "3.00"),
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, external_id, name, email_consent, sms_consent, "
                "created_at, updated_at) VALUES (1, 'c1', 'c1', true, false, :now, :now)"
            ),
            {"now": now},
        )
        for order_id, amount in orders.items():
            conn.execute(
                text(
                    "INSERT INTO orders (id, external_id, customer_id, ordered_at, status, amount,"
                    " discount, currency, created_at, updated_at) VALUES (:id, :ext, 1, :now, "
                    "'paid', :amount, 0, 'USD', :now, :now)"
                ),
                {"id": order_id, "ext": f"o{order_id}", "amount": amount, "now": now},
            )
        conn.execute(
            text(
                "INSERT INTO loyalty_programmes (id, key, currency, version, checksum, definition,"
                " source, created_at, updated_at) VALUES (1, 'p', 'points', 1, 'x', '{}', '',"
                " :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO loyalty_accounts (id, programme_id, customer_id, joined_at, "
                "touched_at) VALUES (1, 1, 1, :now, :now)"
            ),
            {"now": now},
        )
        for entry_id, key, kind, basis in entries:
            order = int(key.split(":")[1]) if key.startswith("order:") else None
            conn.execute(
                text(
                    "INSERT INTO loyalty_entries (id, programme_id, account_id, key, kind, "
                    "amount, occurred_at, recorded_at, order_id, basis) VALUES (:id, 1, 1, "
                    ":key, :kind, 10, :now, :now, :order, :basis)"
                ),
                {
                    "id": entry_id,
                    "key": key,
                    "kind": kind,
                    "order": order,
                    "basis": basis,
                    "now": now,
                },
            )
    upgrade(engine)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT id, basis FROM loyalty_entries")).all())
    assert {i: Decimal(str(b)).quantize(Decimal("0.01")) for i, b in found.items()} == {
        1: Decimal("120.30"),
        2: Decimal("120.30"),
        3: Decimal("999.99"),
        4: Decimal("50.25"),
        5: Decimal("75.00"),
        6: Decimal("3.00"),
    }
