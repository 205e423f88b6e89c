"""The REST API's writing routes on both databases: customers, events, tasks, segments, runs."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.domains.audit import service as audit


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _new_customer(client: TestClient, tokens: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"external_id": f"api-{uuid.uuid4().hex[:10]}", "name": "Api Person", **fields}
    made = client.post("/api/v1/customers", json=body, headers=_auth(tokens, "sales"))
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_create_change_and_erase_a_customer(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    auth = _auth(tokens, "sales")
    made = _new_customer(client, tokens, email="api@example.com", tags=["b2b", " b2b ", "vip"])
    assert made["tags"] == ["b2b", "vip"] and made["stage"] is None
    again = client.post(
        "/api/v1/customers", json={"external_id": made["external_id"]}, headers=auth
    )
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    bad = client.post("/api/v1/customers", json={"name": "no id"}, headers=auth)
    assert bad.status_code == 422 and "external_id" in bad.json()["detail"]
    changed = client.patch(
        f"/api/v1/customers/{made['id']}", json={"city": "Hangzhou", "email": None}, headers=auth
    ).json()
    assert changed["changed"] == {"city": [None, "Hangzhou"], "email": ["api@example.com", None]}
    assert changed["customer"]["city"] == "Hangzhou"
    owner = client.patch(f"/api/v1/customers/{made['id']}", json={"owner_id": 99999}, headers=auth)
    assert owner.status_code == 422 and "owner_id" in owner.json()["detail"]
    with store.connect() as conn:
        entries, _ = audit.entries(conn, entity="customers", entity_id=made["id"])
    assert [e["action"] for e in entries] == ["customer.update", "customer.create"]
    assert entries[0]["via"] == "api" and entries[0]["user_email"] == "sales@api.test"
    assert entries[0]["before"] == {"city": None, "email": "api@example.com"}
    zoned = client.patch(
        f"/api/v1/customers/{made['id']}", json={"timezone": "asia/shanghai"}, headers=auth
    )
    assert zoned.json()["customer"]["timezone"] == "Asia/Shanghai"  # the database's spelling
    no_zone = client.patch(
        f"/api/v1/customers/{made['id']}", json={"timezone": "Mars/Base"}, headers=auth
    )
    assert no_zone.status_code == 422 and "timezone" in str(no_zone.json()["detail"])
    bad_zone = client.post(
        "/api/v1/customers", json={"external_id": "tz-x", "timezone": "UTC+8"}, headers=auth
    )
    assert bad_zone.status_code == 422 and "timezone" in str(bad_zone.json()["detail"])
    # a person's data: only an administrator exports or erases it
    assert client.delete(f"/api/v1/customers/{made['id']}", headers=auth).status_code == 403
    admin = _auth(tokens, "admin")
    copy = client.get(f"/api/v1/customers/{made['id']}/export", headers=admin)
    assert copy.status_code == 200 and copy.headers["content-type"] == "application/zip"
    erased = client.delete(f"/api/v1/customers/{made['id']}", headers=admin)
    assert erased.status_code == 200 and erased.json()["removed"]["tasks"] == 0
    shell = client.get(f"/api/v1/customers/{made['id']}", headers=auth).json()
    assert shell["external_id"] == f"erased-{made['id']}" and shell["name"] is None
    again = client.delete(f"/api/v1/customers/{made['id']}", headers=admin)
    assert again.status_code == 409


def test_search_and_sort_the_customer_list(client: TestClient, tokens: dict[str, str]) -> None:
    auth = _auth(tokens, "viewer")
    made = _new_customer(client, tokens, company="Searchable Widgets Ltd", tags=["findme"])
    for query in ({"q": "searchable widgets"}, {"q": made["external_id"]}, {"tag": "findme"}):
        found = client.get("/api/v1/customers", params=query, headers=auth).json()["items"]
        assert [c["id"] for c in found] == [made["id"]], query
    seen: list[float] = []
    ids: list[int] = []
    cursor = None
    while True:  # every customer with a CLV, highest first, across pages
        params: dict[str, Any] = {"sort": "-clv", "limit": 70}
        if cursor:
            params["after"] = cursor
        page = client.get("/api/v1/customers", params=params, headers=auth).json()
        seen += [c["clv"] for c in page["items"]]
        ids += [c["id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(ids) == len(set(ids)) > 100
    with_value = client.get(
        "/api/v1/customers",
        params={"filter": '{"field": "clv", "op": "not_null"}', "limit": 500},
        headers=auth,
    ).json()["items"]
    assert sorted(ids) == sorted(c["id"] for c in with_value)
    tree = '{"field": "clv", "op": ">=", "value": 100}'
    valuable = client.get("/api/v1/customers", params={"filter": tree}, headers=auth).json()
    assert valuable["items"] and all(c["clv"] >= 100 for c in valuable["items"])
    wrong = client.get("/api/v1/customers", params={"filter": '{"field": "x"}'}, headers=auth)
    assert wrong.status_code == 422
    cursor_bad = client.get(
        "/api/v1/customers", params={"sort": "-clv", "after": "nonsense"}, headers=auth
    )
    assert cursor_bad.status_code == 422


def test_event_batches_are_idempotent(client: TestClient, tokens: dict[str, str]) -> None:
    auth = _auth(tokens, "marketing")
    person = _new_customer(client, tokens)
    prefix = uuid.uuid4().hex[:8]
    events = [
        {
            "id": f"{prefix}-{i}",
            "customer": person["external_id"],
            "type": "login",
            "occurred_at": f"2026-03-{10 + i:02d}T08:00:00+08:00",
        }
        for i in range(3)
    ]
    stranger = {**events[0], "id": f"{prefix}-x", "customer": "nobody-knows-me"}
    first = client.post(
        "/api/v1/events", json={"events": [*events, events[0], stranger]}, headers=auth
    ).json()
    assert first["accepted"] == 3 and first["duplicates"] == 1
    assert [r["index"] for r in first["rejected"]] == [4]
    assert "nobody-knows-me" in first["rejected"][0]["error"]
    again = client.post("/api/v1/events", json={"events": events}, headers=auth).json()
    assert again == {"accepted": 0, "duplicates": 3, "rejected": []}
    timeline = client.get(
        f"/api/v1/customers/{person['id']}/timeline", headers=_auth(tokens, "viewer")
    ).json()["items"]
    logins = [e for e in timeline if e["kind"] == "event"]
    assert len(logins) == 3 and logins[0]["at"].startswith("2026-03-12T00:00:00")  # in UTC
    naive = {**events[0], "id": f"{prefix}-n", "occurred_at": "2026-03-10T08:00:00"}
    refused = client.post("/api/v1/events", json={"events": [naive]}, headers=auth)
    assert refused.status_code == 422 and "timezone" in refused.json()["detail"]
    sales = client.post("/api/v1/events", json={"events": events}, headers=_auth(tokens, "sales"))
    assert sales.status_code == 403


def test_tasks_go_to_the_owner_and_are_completed_once(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = _auth(tokens, "csm")
    person = _new_customer(client, tokens)
    me = client.get("/api/v1/tasks", params={"assignee": "me"}, headers=auth)
    assert me.status_code == 200
    made = client.post(
        "/api/v1/tasks",
        json={"customer_id": person["id"], "title": "Welcome call", "due_on": "2000-01-01"},
        headers=auth,
    )
    assert made.status_code == 201 and made.json()["assignee_id"] is None  # no owner: nobody
    task = made.json()
    moved = client.patch(
        f"/api/v1/tasks/{task['id']}", json={"due_on": "2999-01-01"}, headers=auth
    ).json()
    assert moved["due_on"] == "2999-01-01"
    no_title = client.patch(f"/api/v1/tasks/{task['id']}", json={"title": None}, headers=auth)
    assert no_title.status_code == 422 and "title" in no_title.json()["detail"]  # was a 500
    later = client.get("/api/v1/tasks", params={"due": "later"}, headers=auth).json()["items"]
    assert task["id"] in [t["id"] for t in later]
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"outcome": "Spoke to them"}, headers=auth
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    twice = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"outcome": "again"}, headers=auth
    )
    assert twice.status_code == 409
    unknown = client.post("/api/v1/tasks", json={"customer_id": 987654, "title": "x"}, headers=auth)
    assert unknown.status_code == 404


def test_segments_through_the_api(client: TestClient, tokens: dict[str, str]) -> None:
    auth = _auth(tokens, "marketing")
    name = f"valuable-{uuid.uuid4().hex[:6]}"
    tree = {"field": "clv", "op": ">=", "value": 100}
    made = client.post("/api/v1/segments", json={"name": name, "filter": tree}, headers=auth)
    assert made.status_code == 201 and made.json()["members"] > 0
    members = client.get(
        "/api/v1/customers", params={"segment": name, "limit": 500}, headers=auth
    ).json()["items"]
    assert len(members) == made.json()["members"]
    bad = {"name": name + "x", "filter": {"field": "shoe_size", "op": "=", "value": 9}}
    refused = client.post("/api/v1/segments", json=bad, headers=auth)
    assert refused.status_code == 422 and "shoe_size" in refused.json()["detail"]
    assert client.delete(f"/api/v1/segments/{name}", headers=auth).status_code == 200
    assert client.get(f"/api/v1/segments/{name}", headers=auth).status_code == 404


def test_trigger_a_run_and_follow_it(client: TestClient, tokens: dict[str, str]) -> None:
    # entered, the app's lifespan stops the worker this run wakes: left running, it would go
    # on committing on the package's store under the later tests' transactions
    with TestClient(client.app) as http:
        auth = _auth(tokens, "manager")
        queued = http.post("/api/v1/runs", json={"as_of": "2026-03-31"}, headers=auth)
        assert queued.status_code == 202, queued.text
        url = queued.json()["status_url"]
        deadline = time.monotonic() + 120
        status = http.get(url, headers=auth).json()
        while status["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            status = http.get(url, headers=auth).json()
        assert status["status"] == "done", status
        runs = http.get("/api/v1/runs", headers=auth).json()["items"]
        assert status["run_id"] in [r["run_id"] for r in runs]
        cohorts = http.get("/api/v1/cohorts", headers=auth).json()
        assert cohorts["cohorts"] and cohorts["as_of"] == "2026-03-31"
        sales = http.post("/api/v1/runs", json={}, headers=_auth(tokens, "sales"))
        assert sales.status_code == 403
