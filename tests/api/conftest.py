"""A scored demo store on each database, a token for every role, and an API client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.domains.users.models import Role
from tenure.kit.settings import Settings
from tenure.web.app import create_app
from tests.conftest import scratch_store
from tests.factories import settle_password

END = date(2026, 3, 31)
ALL_SCOPES = ["read", "write", "ingest", "score"]


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A scored demo store of 300 customers, on each database."""
    with scratch_store(request.param, request, tmp_path_factory.mktemp("api")) as engine:
        with engine.begin() as conn:
            load_into_store(
                conn,
                generate(DemoConfig(customers=300, seed=4, end=END)),
                datetime(2026, 4, 1, tzinfo=UTC),
            )
        with engine.begin() as conn:
            run_scoring(conn, END, Settings())
        yield engine


@pytest.fixture(scope="package")
def tokens(store: Engine) -> dict[str, str]:
    """A token with every scope for one user of each role, and a read-only admin token."""
    made = {}
    with store.begin() as conn:
        for role in Role:
            users.create_user(conn, role.value, f"{role.value}@api.test", role.value)
            settle_password(conn, f"{role.value}@api.test")
            made[role.value] = users.create_token(conn, f"{role.value}@api.test", "t", ALL_SCOPES)[
                1
            ]
        made["admin-ingest-only"] = users.create_token(conn, "admin@api.test", "i", ["ingest"])[1]
    return made


@pytest.fixture(scope="package")
def client(store: Engine) -> TestClient:
    return TestClient(create_app(store, Settings()))
