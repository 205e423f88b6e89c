"""The REST API on both databases: tokens, every route × every role, pages, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.service import run_scoring
from tenure.domains.users import service as users
from tenure.domains.users.models import Role
from tenure.domains.users.permissions import allows
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.api import PERMISSIONS
from tenure.web.app import create_app
from tests.conftest import fresh_pg_database

END = date(2026, 3, 31)
ALL_SCOPES = ["read", "write", "ingest", "score"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A scored demo store of 300 customers, on each database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('api') / 'store.db'}")
        drop = None
    else:
        engine, name, admin = fresh_pg_database(request.getfixturevalue("pg_server_url"))
        drop = (name, admin)
    upgrade(engine)
    with engine.begin() as conn:
        load_into_store(
            conn,
            generate(DemoConfig(customers=300, seed=4, end=END)),
            datetime(2026, 4, 1, tzinfo=UTC),
        )
    with engine.begin() as conn:
        run_scoring(conn, END, Settings())
    yield engine
    engine.dispose()
    if drop is not None:
        name, admin = drop
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def tokens(store: Engine) -> dict[str, str]:
    """A token with every scope for one user of each role, and a read-only admin token."""
    made = {}
    with store.begin() as conn:
        for role in Role:
            users.create_user(conn, role.value, f"{role.value}@api.test", role.value)
            made[role.value] = users.create_token(conn, f"{role.value}@api.test", "t", ALL_SCOPES)[
                1
            ]
        made["admin-ingest-only"] = users.create_token(conn, "admin@api.test", "i", ["ingest"])[1]
    return made


@pytest.fixture(scope="module")
def client(store: Engine) -> TestClient:
    return TestClient(create_app(store, Settings()))


def _concrete(path: str) -> str:
    return path.replace("{customer_id}", "1")


def test_every_route_answers_each_role_as_docs_security_says(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert PERMISSIONS, "no API routes registered"
    for path, permission in PERMISSIONS.items():
        assert client.get(_concrete(path)).status_code == 401  # no token
        bad = client.get(_concrete(path), headers={"Authorization": "Bearer tnr_nope"})
        assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
        for role in Role:
            answer = client.get(
                _concrete(path), headers={"Authorization": f"Bearer {tokens[role.value]}"}
            )
            expected_ok = allows(role.value, permission, ALL_SCOPES)
            assert (answer.status_code == 200) == expected_ok, (path, role, answer.text)
            if not expected_ok:
                assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
        # scopes narrow the role: an admin's ingest-only token reads nothing
        narrow = client.get(
            _concrete(path), headers={"Authorization": f"Bearer {tokens['admin-ingest-only']}"}
        )
        assert narrow.status_code == 403, path


def test_customers_come_a_page_at_a_time(client: TestClient, tokens: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {tokens['viewer']}"}
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 120, **({"after": cursor} if cursor else {})}
        page = client.get("/api/v1/customers", params=params, headers=auth).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 300
    churned = client.get("/api/v1/customers", params={"stage": "churned"}, headers=auth).json()
    assert churned["items"] and {c["stage"] for c in churned["items"]} == {"churned"}


def test_a_customer_360_has_stage_reason_scores_and_history(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['sales']}"}
    listed = client.get("/api/v1/customers", params={"stage": "growing"}, headers=auth).json()
    one = client.get(f"/api/v1/customers/{listed['items'][0]['id']}", headers=auth).json()
    assert one["stage"]["stage"] == "growing" and one["stage"]["rule"]
    assert one["scores"]["clv"] is not None
    assert [h["stage"] for h in one["stage_history"]] == ["growing"]
    missing = client.get("/api/v1/customers/999999", headers=auth)
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "no customer with id 999999"}


def test_errors_and_the_openapi_document(client: TestClient, tokens: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {tokens['manager']}"}
    wrong = client.get("/api/v1/customers", params={"limit": 0}, headers=auth)
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid"
    assert "limit" in wrong.json()["detail"]
    kpis = client.get("/api/v1/kpis", headers=auth).json()
    assert kpis["as_of"] == END.isoformat()
    spec = client.get("/api/v1/openapi.json").json()
    assert set(PERMISSIONS) <= set(spec["paths"])
