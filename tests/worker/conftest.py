"""A scored demo store of a few thousand customers on each database, and an API token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.storage.engine import bulk_load
from tests.conftest import scratch_store
from tests.factories import settle_password

END = date(2026, 3, 31)
CUSTOMERS = 3000


@dataclass
class Store:
    """A store, its URL and a token of its administrator (every scope)."""

    engine: Engine
    url: str
    token: str


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """3,000 demo customers, scored a month before END (a run as of END has work to do)."""
    with scratch_store(request.param, request, tmp_path_factory.mktemp("worker")) as engine:
        with bulk_load(engine) as conn:
            data = generate(DemoConfig(customers=CUSTOMERS, seed=5, end=END))
            load_into_store(conn, data, datetime(2026, 4, 1, tzinfo=UTC))
        with engine.begin() as conn:
            run_scoring(conn, END - timedelta(days=30), Settings())
            users.create_user(conn, "Admin", "admin@worker.test", "admin")
            settle_password(conn, "admin@worker.test")
            scopes = ["read", "write", "ingest", "score"]
            token = users.create_token(conn, "admin@worker.test", "t", scopes)[1]
        yield Store(engine, engine.url.render_as_string(hide_password=False), token)
