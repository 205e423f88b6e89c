"""The migration builds the schema the models describe, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from tenure.domains.registry import metadata
from tenure.storage.engine import make_engine
from tenure.storage.migrate import alembic_config, current_revision, head_revision, upgrade


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
