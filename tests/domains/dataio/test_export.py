"""Export → import into an empty store gives identical data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.dataio.export import export_entity
from tenure.domains.dataio.service import ImportOptions, import_file
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade

NOW = datetime(2026, 7, 1, tzinfo=UTC)
ENTITIES = ("customers", "orders", "events", "spend", "surveys", "subscriptions")
SNAPSHOTS = {
    "customers": """SELECT c.external_id, c.name, c.email, c.phone, c.company, c.industry,
        c.company_size, c.region, c.country, c.city, c.birthday, c.gender,
        c.acquisition_channel, c.acquired_at, u.email, c.tags, c.attributes,
        c.email_consent, c.sms_consent FROM customers c LEFT JOIN users u ON u.id = c.owner_id""",
    "orders": """SELECT o.external_id, c.external_id, o.ordered_at, o.status, o.amount, o.cost,
        o.discount, o.currency, o.channel FROM orders o JOIN customers c ON c.id = o.customer_id""",
    "order_lines": """SELECT o.external_id, l.line_no, l.product_id, l.product_name, l.category,
        l.quantity, l.unit_price FROM order_lines l JOIN orders o ON o.id = l.order_id""",
    "events": """SELECT e.external_id, c.external_id, e.occurred_at, e.type, e.properties
        FROM events e JOIN customers c ON c.id = e.customer_id
        WHERE e.type <> 'survey_answered'""",
    "marketing_spend": "SELECT channel, period_start, period_end, amount, currency "
    "FROM marketing_spend",
    "survey_responses": """SELECT c.external_id, s.survey, s.score, s.comment, s.answered_at
        FROM survey_responses s JOIN customers c ON c.id = s.customer_id""",
    "subscriptions": """SELECT s.external_id, c.external_id, s.plan, s.billing_period, s.status,
        s.mrr, s.started_at, s.cancelled_at FROM subscriptions s
        JOIN customers c ON c.id = s.customer_id""",
}


def _normalise(value: object) -> object:
    """One spelling per value whatever the driver returns (text, datetime, int, Decimal)."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.dumps(json.loads(value), sort_keys=True)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return f"{float(value):.2f}"
    return value


def _snapshot(conn: Connection) -> dict[str, list[tuple[object, ...]]]:
    def key(row: tuple[object, ...]) -> tuple[tuple[bool, str], ...]:
        return tuple((v is not None, str(v)) for v in row)  # NULL sorts first, beside text

    return {
        name: sorted(
            (tuple(_normalise(v) for v in row) for row in conn.execute(text(sql))), key=key
        )
        for name, sql in SNAPSHOTS.items()
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('src') / 'source.db'}")
    upgrade(engine)
    data = generate(DemoConfig(customers=400, seed=9, end=date(2026, 6, 30), profile="saas"))
    with engine.begin() as conn:
        load_into_store(conn, data, NOW)
    return engine


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip(source: Engine, conn: Connection, tmp_path: Path, fmt: str) -> None:
    with source.connect() as src:
        for entity in ENTITIES:
            export_entity(src, entity, tmp_path / f"{entity}.{fmt}")
        expected = _snapshot(src)
        users = src.execute(
            text("SELECT id, name, email, role, created_at, updated_at FROM users")
        ).all()
    for user in users:
        conn.execute(
            text(
                "INSERT INTO users (id, name, email, role, created_at, updated_at) "
                "VALUES (:i, :n, :e, :r, :c, :u)"
            ),
            {"i": user[0], "n": user[1], "e": user[2], "r": user[3], "c": user[4], "u": user[5]},
        )
    for entity in ENTITIES:
        report = import_file(conn, ImportOptions(entity, tmp_path / f"{entity}.{fmt}"), now=NOW)
        assert not report.problems, (entity, report.problems[:3])
    assert _snapshot(conn) == expected
