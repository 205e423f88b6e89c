"""The survey API: definitions, personal links to embed, answers read and sent from elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.events.models import Event

FORM: dict[str, Any] = {
    "kind": "form",
    "title": {"en": "Kiosk", "zh": "自助机"},
    "questions": [
        {
            "id": "stars",
            "type": "rating",
            "required": True,
            "label": {"en": "Rate us", "zh": "评分"},
        },
        {"id": "note", "type": "text", "label": {"en": "Anything else?", "zh": "还有吗？"}},
    ],
}


def _auth(tokens: dict[str, str], role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_define_invite_embed_and_read(client: TestClient, tokens: dict[str, str]) -> None:
    put = client.put(
        "/api/v1/surveys/api-nps",
        json={"kind": "nps", "title": {"en": "NPS", "zh": "净推荐值"}, "any_cooldown_days": 0},
        headers=_auth(tokens),
    )
    assert put.status_code == 200 and put.json()["created"] is True
    assert [q["id"] for q in put.json()["definition"]["questions"]] == ["score", "comment"]
    customer = client.get("/api/v1/customers", params={"limit": 1}, headers=_auth(tokens)).json()[
        "items"
    ][0]
    body = {"customer_external_id": customer["external_id"], "key": "web-footer-1"}
    made = client.post("/api/v1/surveys/api-nps/invitations", json=body, headers=_auth(tokens))
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["status"] == "invited" and "/survey/" in link["url"]
    assert link["embed"].startswith('<iframe src="') and "?embed=1" in link["embed"]
    again = client.post("/api/v1/surveys/api-nps/invitations", json=body, headers=_auth(tokens))
    assert again.json()["url"] == link["url"]  # the same key: the same link
    listed = client.get("/api/v1/surveys/api-nps/invitations", headers=_auth(tokens, "viewer"))
    assert [i["id"] for i in listed.json()["items"]] == [link["invitation_id"]]
    assert client.get("/api/v1/surveys", headers=_auth(tokens, "viewer")).status_code == 200


def test_bad_definitions_and_unknown_customers_name_the_field(
    client: TestClient, tokens: dict[str, str]
) -> None:
    bad = client.put(
        "/api/v1/surveys/x", json={"kind": "nps", "title": {"en": "T"}}, headers=_auth(tokens)
    )
    assert bad.status_code == 422 and "title.zh" in bad.text
    client.put("/api/v1/surveys/kiosk", json=FORM, headers=_auth(tokens))
    nobody = client.post(
        "/api/v1/surveys/kiosk/answers",
        json={
            "id": "k-1",
            "customer_external_id": "no-such",
            "answers": {"stars": 4},
            "answered_at": "2026-03-30T10:00:00Z",
        },
        headers=_auth(tokens),
    )
    assert nobody.status_code == 422 and "customer_external_id" in nobody.text
    assert client.get("/api/v1/surveys/nope", headers=_auth(tokens)).status_code == 404


def test_answers_from_elsewhere_are_idempotent_and_reach_the_feed(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    client.put("/api/v1/surveys/kiosk", json=FORM, headers=_auth(tokens))
    customer = client.get("/api/v1/customers", params={"limit": 2}, headers=_auth(tokens)).json()[
        "items"
    ][1]
    ingest = {"Authorization": f"Bearer {tokens['admin-ingest-only']}"}
    body = {
        "id": "kiosk-77",
        "customer_id": customer["id"],
        "answers": {"stars": 2, "note": "<b>cold</b>"},
        "answered_at": "2026-03-30T10:00:00Z",
        "language": "zh",
    }
    wrong = client.post(
        "/api/v1/surveys/kiosk/answers", json=body | {"answers": {"stars": 9}}, headers=ingest
    )
    assert wrong.status_code == 422 and "answers.stars" in wrong.text
    first = client.post("/api/v1/surveys/kiosk/answers", json=body, headers=ingest)
    assert first.status_code == 200, first.text
    assert (first.json()["score"], first.json()["band"], first.json()["created"]) == (
        2,
        "unsatisfied",
        True,
    )
    second = client.post("/api/v1/surveys/kiosk/answers", json=body, headers=ingest)
    assert second.json()["answer_id"] == first.json()["answer_id"] and not second.json()["created"]
    with store.connect() as conn:
        events = conn.execute(
            select(Event.properties, Event.source).where(
                Event.customer_id == customer["id"],
                Event.type == "survey_answered",
                Event.source == "api",
            )
        ).all()
    assert len(events) == 1 and events[0][0]["band"] == "unsatisfied"
    answers = client.get(
        "/api/v1/surveys/kiosk/answers",
        params={"band": "unsatisfied"},
        headers=_auth(tokens, "viewer"),
    ).json()["items"]
    assert [(a["customer_id"], a["comment"]) for a in answers] == [(customer["id"], "<b>cold</b>")]


def test_teams_routing_follow_up_and_figures(client: TestClient, tokens: dict[str, str]) -> None:
    admin = _auth(tokens)
    client.put(
        "/api/v1/surveys/api-fb",
        json={"kind": "nps", "title": {"en": "F", "zh": "反馈"}},
        headers=admin,
    )
    bad_team = client.put("/api/v1/teams/api-care", json={"sla_hours": 0}, headers=admin)
    assert bad_team.status_code == 422 and "sla_hours" in bad_team.text
    made = client.put(
        "/api/v1/teams/api-care", json={"name_zh": "关怀", "sla_hours": 12}, headers=admin
    )
    assert made.status_code == 200 and made.json()["sla_hours"] == 12
    rules = "survey: api-fb\nrules:\n  - name: low\n    when: {band: [detractor]}\n    team: {t}\n"
    wrong = client.put(
        "/api/v1/surveys/api-fb/routing",
        json={"yaml": rules.replace("{t}", "ghosts"), "file": "fb.yaml"},
        headers=admin,
    )
    assert wrong.status_code == 422 and "fb.yaml, line 5: rules[0].team" in wrong.text
    kept = client.put(
        "/api/v1/surveys/api-fb/routing",
        json={"yaml": rules.replace("{t}", "api-care")},
        headers=admin,
    )
    assert kept.status_code == 200 and kept.json()["rules"] == ["low"]
    customer = client.get("/api/v1/customers", params={"limit": 1}, headers=admin).json()["items"][
        0
    ]
    sent = client.post(
        "/api/v1/surveys/api-fb/answers",
        json={
            "customer_id": customer["id"],
            "id": "fb-1",
            "answers": {"score": 2},
            "answered_at": "2026-04-01T10:00:00Z",
        },
        headers=admin,
    )
    assert sent.status_code == 200, sent.text
    team = client.get("/api/v1/teams/api-care", headers=_auth(tokens, "viewer")).json()
    assert (team["board"]["open"], team["board"]["overdue"]) == (1, 1)  # 12 h passed long ago
    task = client.get("/api/v1/tasks", params={"customer_id": customer["id"]}, headers=admin)
    [mine] = [t for t in task.json()["items"] if t["source"] == "survey:api-fb"]
    bad = client.post(
        f"/api/v1/followups/{mine['id']}/close",
        json={"outcome": "fixed", "root_cause": "price"},
        headers=admin,
    )
    assert bad.status_code == 422 and "outcome" in bad.text
    closed = client.post(
        f"/api/v1/followups/{mine['id']}/close",
        json={"outcome": "contacted", "root_cause": "price"},
        headers=admin,
    )
    assert closed.status_code == 200 and closed.json()["outcome"] == "contacted"
    got = client.get("/api/v1/surveys/api-fb/figures", headers=admin).json()
    assert (got["poor"], got["contacted_within_sla"]) == (1, 0.0)
