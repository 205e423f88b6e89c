"""The playbook routes on both databases: publish over PUT, counts, enrollments, pause, resume."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.audit import service as audit
from tenure.domains.customers.models import Customer
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.web.app import create_app
from tests import journeys

NAME = "api-save"
YAML = {"Content-Type": "text/yaml"}


def _auth(tokens: dict[str, str], role: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}", **more}


def _customers(store: Engine, n: int) -> list[tuple[int, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            select(Customer.id, Customer.external_id).order_by(Customer.id.desc()).limit(n)
        ).all()
    return [(int(i), str(e)) for i, e in rows]


def test_publishing_a_playbook_over_put(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    url = f"/api/v1/playbooks/{NAME}-put"
    text = journeys.playbook(f"{NAME}-put")
    viewer = client.put(url, content=text, headers=_auth(tokens, "viewer", **YAML))
    assert viewer.status_code == 403
    sales = client.put(url, content=text, headers=_auth(tokens, "sales", **YAML))
    assert sales.status_code == 403
    auth = _auth(tokens, "marketing", **YAML)
    # a mistake names the playbook, the line and the field; nothing is published
    broken = text.replace("wait: {days: 2}", "wait: {days: two}")
    line = broken.splitlines().index("  - wait: {days: two}") + 1
    answer = client.put(url, content=broken, headers=auth)
    assert answer.status_code == 422, answer.text
    [mistake] = answer.json()["mistakes"]
    assert mistake["file"] == f"{NAME}-put" and mistake["line"] == line
    assert mistake["field"] == "steps[1].wait.days" and "integer" in mistake["message"]
    assert answer.json()["error"] == "invalid" and f"line {line}" in answer.json()["detail"]
    not_yaml = client.put(url, content="name: [unclosed\nsteps: x\n", headers=auth)
    assert not_yaml.status_code == 422 and not_yaml.json()["mistakes"][0]["line"] == 2
    other = client.put(url, content=journeys.playbook("someone-else"), headers=auth)
    assert other.status_code == 422 and other.json()["mistakes"][0]["field"] == "name"
    bomb = 'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: [*b, *b]\n'
    assert client.put(url, content=bomb, headers=auth).status_code == 422
    assert client.put(url, content=b"\xff\xfe", headers=auth).status_code == 422
    json_body = client.put(url, json={"name": "x"}, headers=_auth(tokens, "marketing"))
    assert json_body.status_code == 415 and json_body.json()["error"] == "unsupported_media_type"
    assert client.get(url, headers=auth).status_code == 404
    # right: published (201), then unchanged; an edit is the next version
    made = client.put(url, content=text, headers=auth)
    assert (made.status_code, made.json()) == (
        201,
        {"name": f"{NAME}-put", "version": 1, "outcome": "created"},
    )
    plain = _auth(tokens, "manager", **{"Content-Type": "text/plain; charset=utf-8"})
    same = client.put(url, content=text, headers=plain)
    assert (same.status_code, same.json()["outcome"]) == (200, "unchanged")
    edited = client.put(
        url,
        content=text.replace("days: 2", "days: 3"),
        headers=_auth(tokens, "admin", **{"Content-Type": "application/yaml"}),
    )
    assert edited.json() == {"name": f"{NAME}-put", "version": 2, "outcome": "updated"}
    shown = client.get(url, headers=_auth(tokens, "viewer")).json()
    assert shown["version"] == 2 and "days: 3" in shown["source"]
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert shown["definition"]["steps"][1] == {"wait": {"days": 3, "hours": 0}}
    with store.connect() as conn:
        entries, _ = audit.entries(conn, entity="playbooks", limit=500)
    mine = [e for e in entries if (e["after"] or {}).get("name") == f"{NAME}-put"]
    assert [(e["action"], e["via"]) for e in mine] == [
        ("playbook.publish", "api"),
        ("playbook.create", "api"),
    ]
    # paused, it enrolls nobody (the other test's stage changes are not for it)
    assert client.post(f"{url}/pause", headers=auth).json()["status"] == "paused"
    assert client.get(url, headers=auth).json()["status"] == "paused"


def test_counts_enrollments_pause_and_resume(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    journeys.publish(store, NAME)
    (first, _), (second, second_external), (third, third_external) = _customers(store, 3)
    now = utcnow()
    journeys.decline(store, [first], now, "api")
    assert journeys.tick(store, now).enrolled == 1
    auth = _auth(tokens, "marketing")
    made = client.post(
        f"/api/v1/playbooks/{NAME}/enrollments", json={"customer": second_external}, headers=auth
    )
    assert made.status_code == 201, made.text
    assert made.json()["customer_id"] == second and made.json()["version"] == 1
    again = client.post(
        f"/api/v1/playbooks/{NAME}/enrollments", json={"customer": second_external}, headers=auth
    )
    assert again.status_code == 409 and "already enrolled" in again.json()["detail"]
    unknown = client.post(
        f"/api/v1/playbooks/{NAME}/enrollments", json={"customer": "nobody-x"}, headers=auth
    )
    assert unknown.status_code == 422 and "nobody-x" in unknown.json()["detail"]
    viewer = client.post(
        f"/api/v1/playbooks/{NAME}/enrollments",
        json={"customer": third_external},
        headers=_auth(tokens, "viewer"),
    )
    assert viewer.status_code == 403
    with store.connect() as conn:
        entries, _ = audit.entries(conn, entity="enrollments", entity_id=made.json()["id"])
    assert [(e["action"], e["via"], e["user_email"]) for e in entries] == [
        ("playbook.enroll", "api", "marketing@api.test")
    ]
    journeys.tick(store, now + timedelta(seconds=1))  # the second customer's first steps

    read = _auth(tokens, "viewer")
    listed = client.get("/api/v1/playbooks", headers=read).json()["items"]
    [row] = [p for p in listed if p["name"] == NAME]
    assert row["title"] == {"en": "Save a declining customer", "zh": "挽回衰退客户"}
    assert row["triggers"] == ["stage_entered", "manual"]
    assert (row["enrolled"], row["active"], row["enrolled_last_7_days"]) == (2, 2, 2)
    assert row["conversion_rate"] is None  # none finished yet
    shown = client.get(f"/api/v1/playbooks/{NAME}", headers=read).json()
    ran = journeys.runs_by_step(store, NAME)
    assert ran == {"mark": 2, "step-2": 2}
    assert [(s["step_id"], s["ran"], s["waiting"]) for s in shown["steps"]] == [
        ("mark", ran["mark"], 0),
        ("step-2", ran["step-2"], 2),  # both wait out the two days
        ("step-3", 0, 0),
        ("done", 0, 0),
    ]
    assert shown["steps"][1]["outcomes"] == {"waiting": 2}

    page = client.get(f"/api/v1/playbooks/{NAME}/enrollments?limit=1", headers=read).json()
    assert [e["customer_id"] for e in page["items"]] == [second] and page["next"]
    rest = client.get(
        f"/api/v1/playbooks/{NAME}/enrollments",
        params={"limit": 1, "after": page["next"]},
        headers=read,
    ).json()
    assert [e["customer_id"] for e in rest["items"]] == [first] and rest["next"] is None
    assert rest["items"][0]["waiting_at"] == "step-2" and rest["items"][0]["trigger"] != "manual"
    bad = client.get(f"/api/v1/playbooks/{NAME}/enrollments?status=sleeping", headers=read)
    assert bad.status_code == 422

    paused = client.post(f"/api/v1/playbooks/{NAME}/pause", headers=auth)
    assert paused.json() == {
        "name": NAME,
        "status": "paused",
        "changed": True,
        "active": 2,  # held where they are: both wait out their two days
        "held": 0,  # none has a step due yet
    }
    refused = client.post(
        f"/api/v1/playbooks/{NAME}/enrollments", json={"customer": third_external}, headers=auth
    )
    assert refused.status_code == 409 and "paused" in refused.json()["detail"]
    assert client.post(f"/api/v1/playbooks/{NAME}/resume", headers=auth).status_code == 200

    journeys.tick(store, now + timedelta(days=3))  # the wait is over: branch, exit
    finished = client.get(f"/api/v1/playbooks/{NAME}", headers=read).json()
    assert (finished["exited"], finished["active"], finished["conversion_rate"]) == (2, 0, 0.0)
    assert [s["waiting"] for s in finished["steps"]] == [0, 0, 0, 0]
    assert [s["ran"] for s in finished["steps"]] == [2, 2, 2, 2]
    done = client.get(
        f"/api/v1/playbooks/{NAME}/enrollments", params={"status": "exited"}, headers=read
    ).json()["items"]
    assert {e["customer_id"] for e in done} == {first, second}
    assert client.get("/api/v1/playbooks/nope", headers=read).status_code == 404


def test_post_creates_old_versions_are_readable_and_broken_templates_are_refused(
    client: TestClient, tokens: dict[str, str], store: Engine, tmp_path: Path
) -> None:
    name = f"{NAME}-versions"
    auth = _auth(tokens, "marketing", **YAML)
    first = journeys.playbook(name)
    made = client.post("/api/v1/playbooks", content=first, headers=auth)
    assert (made.status_code, made.json()["version"]) == (201, 1), made.text
    taken = client.post("/api/v1/playbooks", content=first, headers=auth)
    assert taken.status_code == 409 and "name" in taken.json()["detail"]
    viewer = client.post(
        "/api/v1/playbooks", content=first, headers=_auth(tokens, "viewer", **YAML)
    )
    assert viewer.status_code == 403
    second = first.replace("days: 2", "days: 4")
    assert client.put(f"/api/v1/playbooks/{name}", content=second, headers=auth).json() == {
        "name": name,
        "version": 2,
        "outcome": "updated",
    }
    read = _auth(tokens, "viewer")
    old = client.get(f"/api/v1/playbooks/{name}/versions/1", headers=read)
    assert old.status_code == 200, old.text
    assert (old.json()["version"], old.json()["current"], old.json()["source"]) == (1, False, first)
    assert old.json()["definition"]["steps"][1] == {"wait": {"days": 2, "hours": 0}}
    new = client.get(f"/api/v1/playbooks/{name}/versions/2", headers=read).json()
    assert new["current"] is True and new["source"] == second
    listed = client.get(f"/api/v1/playbooks/{name}/versions", headers=read).json()["items"]
    assert [v["version"] for v in listed] == [2, 1]
    missing = client.get(f"/api/v1/playbooks/{name}/versions/9", headers=read)
    assert missing.status_code == 404 and "version" in missing.json()["detail"]
    assert client.get(f"/api/v1/playbooks/{name}/versions/0", headers=read).status_code == 422
    assert client.get(f"/api/v1/playbooks/{name}/versions/x", headers=read).status_code == 422

    # a template of the store's own folder that Liquid cannot parse: 422 naming step and line
    for lang in ("en", "zh"):
        for part, body in (("subject", "Hi\n"), ("txt", "Hi\n"), ("html", "<p>\n{% iff x %}\n")):
            (tmp_path / f"api-offer.{lang}.{part}.liquid").write_text(body)
    strict = TestClient(create_app(store, Settings(messaging={"templates_dir": tmp_path})))
    mailing = second.replace(
        "  - id: done\n", "  - id: offer\n    send_email: {template: api-offer}\n  - id: done\n"
    )
    for answer in (
        strict.put(f"/api/v1/playbooks/{name}", content=mailing, headers=auth),
        strict.post(
            "/api/v1/playbooks", content=mailing.replace(name, f"{name}-new"), headers=auth
        ),
    ):
        assert answer.status_code == 422, answer.text
        mistakes = answer.json()["mistakes"]
        assert {m["field"] for m in mistakes} == {"steps[3].send_email.template"}
        assert all(
            m["message"].startswith("step offer: the template 'api-offer'") for m in mistakes
        )
        assert "api-offer.en.html.liquid, line 2: unexpected tag 'iff'" in answer.text
    assert client.get(f"/api/v1/playbooks/{name}", headers=read).json()["version"] == 2
