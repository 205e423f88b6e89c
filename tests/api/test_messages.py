"""The outbox routes on both databases: the list with its filters, counts and pages; one message."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests import outbox

PLAYBOOK = "api-mail"


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture(scope="module")
def filled(store: Engine, tmp_path_factory: pytest.TempPathFactory) -> outbox.Filled:
    folder: Path = tmp_path_factory.mktemp("templates")
    return outbox.fill(store, PLAYBOOK, folder)


def test_the_outbox_by_status_playbook_and_customer_a_page_at_a_time(
    client: TestClient, tokens: dict[str, str], filled: outbox.Filled
) -> None:
    auth = _auth(tokens, "viewer")  # reading playbooks is enough
    answer = client.get("/api/v1/messages", params={"playbook": PLAYBOOK}, headers=auth)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ids = [m["id"] for m in body["items"]]
    every = sorted((i for found in filled.by_status.values() for i in found), reverse=True)
    assert ids == every  # newest first
    assert body["next"] is None
    assert body["counts"] == {
        "queued": 2,
        "sending": 0,
        "sent": 2,
        "failed": 0,
        "unknown": 1,
        "skipped": 1,
    }
    first = body["items"][0]
    assert first["playbook"] == PLAYBOOK and first["source"] == f"playbook:{PLAYBOOK}"
    assert "html" not in first and "text" not in first  # the list carries no bodies
    assert {m["status"] for m in body["items"]} == {"queued", "sent", "unknown", "skipped"}
    skipped = [m for m in body["items"] if m["status"] == "skipped"]
    assert [m["reason"] for m in skipped] == ["no_consent"]

    unknown = client.get(
        "/api/v1/messages", params={"playbook": PLAYBOOK, "status": "unknown"}, headers=auth
    ).json()
    assert [m["id"] for m in unknown["items"]] == filled.by_status["unknown"]
    assert unknown["items"][0]["reason"] == "sender_stopped"
    assert unknown["counts"]["sent"] == 2  # the counts are of every status
    same = client.get(
        "/api/v1/messages", params={"source": f"playbook:{PLAYBOOK}"}, headers=auth
    ).json()
    assert [m["id"] for m in same["items"]] == every

    pages, after = [], None
    while True:
        params: dict[str, str | int] = {"playbook": PLAYBOOK, "limit": 4}
        if after is not None:
            params["after"] = after
        page = client.get("/api/v1/messages", params=params, headers=auth).json()
        pages.append([m["id"] for m in page["items"]])
        after = page["next"]
        if after is None:
            break
    assert pages == [every[:4], every[4:]]

    customer = filled.customer_ids[0]
    theirs = client.get("/api/v1/messages", params={"customer_id": customer}, headers=auth).json()
    assert filled.by_status["sent"][0] in [m["id"] for m in theirs["items"]]
    assert {m["customer_id"] for m in theirs["items"]} == {customer}
    nobody = client.get(
        "/api/v1/messages", params={"playbook": "no-such-playbook"}, headers=auth
    ).json()
    assert nobody["items"] == [] and sum(nobody["counts"].values()) == 0


def test_one_message_with_its_parts_headers_and_history(
    client: TestClient, tokens: dict[str, str], filled: outbox.Filled
) -> None:
    auth = _auth(tokens, "manager")  # every customer's messages (sales: their own)
    sent_id = filled.by_status["sent"][1]  # the scripted template: its HTML is returned as is
    sent = client.get(f"/api/v1/messages/{sent_id}", headers=auth)
    assert sent.status_code == 200, sent.text
    m = sent.json()
    assert m["status"] == "sent" and m["attempts"] == 1 and m["sent_at"] is not None
    assert m["subject"].startswith("A note for") and "A plain note." in m["text"]
    assert "<script>" in m["html"] and "id='hello'" in m["html"]
    assert m["playbook"] == PLAYBOOK and m["customer_id"] == filled.customer_ids[1]
    assert m["headers"]["To"] == m["to_address"] and m["headers"]["Subject"] == m["subject"]
    assert "List-Unsubscribe" not in m["headers"]  # service mail
    assert m["transport_id"].startswith("<outbox-")

    offer = client.get(f"/api/v1/messages/{filled.by_status['unknown'][0]}", headers=auth).json()
    assert offer["status"] == "unknown" and offer["reason"] == "sender_stopped"
    assert offer["category"] == "marketing" and offer["sent_at"] is None
    assert offer["headers"]["List-Unsubscribe"] == f"<{offer['unsubscribe_url']}>"
    assert offer["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert offer["created_at"] is not None and offer["customer"]


def test_bad_filters_and_unknown_messages_are_refused(
    client: TestClient, tokens: dict[str, str], filled: outbox.Filled
) -> None:
    auth = _auth(tokens, "viewer")
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"customer_id": "x"}, "customer_id"),
        ({"customer_id": 0}, "customer_id"),
        ({"after": -1}, "after"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"playbook": ""}, "playbook"),
        ({"playbook": "x" * 101}, "playbook"),
        ({"playbook": PLAYBOOK, "source": "cli"}, "playbook"),
    ):
        answer = client.get("/api/v1/messages", params=params, headers=auth)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["error"] == "invalid" and field in answer.json()["detail"]
    missing = client.get("/api/v1/messages/999999", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert client.get("/api/v1/messages/abc", headers=auth).status_code == 422
    assert client.get("/api/v1/messages").status_code == 401
    ingest_only = _auth(tokens, "admin-ingest-only")
    assert client.get("/api/v1/messages", headers=ingest_only).status_code == 403


def test_the_outbox_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    listed = paths["/api/v1/messages"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {
        "status",
        "customer_id",
        "playbook",
        "source",
        "after",
        "limit",
    }
    assert "get" in paths["/api/v1/messages/{message_id}"]
