"""Schemathesis against the API's own OpenAPI document, on both databases: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.web.app import create_app
from tests.conftest import scratch_store
from tests.factories import settle_password

END = date(2026, 3, 31)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, str]]:
    """A scored store of its own on each database (the fuzzer changes and erases things)."""
    with scratch_store(request.param, request, tmp_path_factory.mktemp("fuzz")) as engine:
        with engine.begin() as conn:
            load_into_store(
                conn,
                generate(DemoConfig(customers=150, seed=9, end=END)),
                datetime(2026, 4, 1, tzinfo=UTC),
            )
        with engine.begin() as conn:
            run_scoring(conn, END, Settings())
        with engine.begin() as conn:
            users.create_user(conn, "Fuzz", "fuzz@api.test", "admin")
            settle_password(conn, "fuzz@api.test")
            _, token = users.create_token(
                conn, "fuzz@api.test", "fuzz", ["read", "write", "ingest"]
            )
        yield engine, token


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Engine, str]) -> Any:
    engine, _ = fuzzed
    loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(engine, Settings()))
    # starting scoring runs is left out: each would score the store in the background; its
    # input checks are in test_write_routes
    return loaded.exclude(method="POST", path="/api/v1/runs")


def test_no_input_makes_a_server_error(api_schema: Any, fuzzed: tuple[Engine, str]) -> None:
    # each operation in turn, with Hypothesis driving schemathesis' strategies (its pytest
    # plugin does not run under this pytest)
    _, token = fuzzed
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                response.text[:500],
            )

        no_server_error()
