"""The REST API's reading routes and its rules, on both databases: every route × every role."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tenure.api import PERMISSIONS
from tenure.domains.users.models import Role
from tenure.domains.users.permissions import allows
from tests.api.conftest import ALL_SCOPES, END

INGESTION = ("POST /api/v1/events", "POST /api/v1/surveys/{survey}/answers")


def _concrete(path: str) -> str:
    # ids that exist nowhere: an allowed caller gets 404 or 422, never a change to the store
    return (
        path.replace("{customer_id}", "987654")
        .replace("{task_id}", "987654")
        .replace("{request_id}", "987654")
        .replace("{message_id}", "987654")
        .replace("{item}", "0")
        .replace("{name}", "no-such-segment")
    )


def _call(client: TestClient, key: str, token: str | None) -> int:
    method, path = key.split(" ", 1)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # a body no route accepts (every input model forbids unknown fields): never a change
    body = {"json": {"no_such_field": 1}} if method in ("POST", "PATCH") else {}
    return client.request(method, _concrete(path), headers=headers, **body).status_code


def test_every_route_answers_each_role_as_docs_security_says(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert len(PERMISSIONS) >= 18, "API routes missing from the permission table"
    for key, permission in PERMISSIONS.items():
        assert _call(client, key, None) == 401, key  # no token
        assert _call(client, key, "tnr_nope") == 401, key
        for role in Role:
            status = _call(client, key, tokens[role.value])
            if allows(role.value, permission, ALL_SCOPES):
                assert status not in (401, 403), (key, role, status)
            else:
                assert status == 403, (key, role, status)
        # scopes narrow the role: an admin's ingest-only token does only ingestion
        narrow = _call(client, key, tokens["admin-ingest-only"])
        assert (narrow == 403) == (key not in INGESTION), key


def test_every_read_route_answers_200_with_real_ids(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    first = client.get("/api/v1/customers", params={"limit": 1}, headers=auth).json()["items"][0]
    for key in PERMISSIONS:
        method, path = key.split(" ", 1)
        if method != "GET" or any(
            f"{{{name}}}" in path
            for name in ("task_id", "request_id", "name", "message_id", "survey", "team")
        ):
            continue  # one of each is read in its own tests
        answer = client.get(path.replace("{customer_id}", str(first["id"])), headers=auth)
        assert answer.status_code == 200, (key, answer.text)


def test_customers_come_a_page_at_a_time(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
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
    # every customer of the store once (300 from the demo, and whatever other tests added)
    with store.connect() as conn:
        stored = int(conn.execute(text("SELECT COUNT(*) FROM customers")).scalar_one())
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == stored >= 300
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
    for key in PERMISSIONS:
        method, path = key.split(" ", 1)
        assert method.lower() in spec["paths"][path], key
    assert not [p for p in spec["paths"] if not p.startswith("/api/v1/")]  # pages stay out
