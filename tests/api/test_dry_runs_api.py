"""POST /api/v1/playbooks/{name}/dry-runs and GET …/dry-runs/latest, on both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.domains.automation import service
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.dry_run import simulate
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today

YAML = {"Content-Type": "text/yaml"}
PLAYBOOK = """\
name: api-dry
title: {en: Win back, zh: 挽回}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0.2}
goal: {purchase: true, within_days: 30}
steps:
  - send_email: {template: win-back-offer}
"""
FROM, TO = "2026-02-01", "2026-03-31"


@pytest.fixture(autouse=True)
def _paused_after(client: TestClient, tokens: dict[str, str]) -> Iterator[None]:
    """Pause the playbook after each test: the store is shared, and a live playbook on
    "declining" would enroll the customers other files' tests move there."""
    yield
    marketing = {"Authorization": f"Bearer {tokens['marketing']}"}
    client.post("/api/v1/playbooks/api-dry/pause", headers=marketing)


def test_a_dry_run_is_queued_walked_by_the_worker_and_read_back(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    marketing = {"Authorization": f"Bearer {tokens['marketing']}"}
    published = client.put(
        "/api/v1/playbooks/api-dry", content=PLAYBOOK, headers={**marketing, **YAML}
    )
    assert published.status_code in (200, 201), published.text
    url = "/api/v1/playbooks/api-dry/dry-runs"
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    assert client.get(f"{url}/latest", headers=viewer).status_code == 404
    asked = client.post(url, json={"from": FROM, "to": TO}, headers=viewer)
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "queued"
    deadline = time.monotonic() + 300
    while True:  # the server's worker walks it
        latest = client.get(f"{url}/latest", headers=viewer).json()
        if latest["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert latest["status"] == "done", latest
    with store.connect() as conn:
        playbook = Playbook.model_validate(service.get(conn, "api-dry").definition)
        direct = simulate(
            conn,
            playbook,
            date.fromisoformat(FROM),
            date.fromisoformat(TO),
            business_today("UTC"),
            Settings(),
        )
    assert latest["result"]["totals"] == direct["totals"]
    assert latest["result"]["weeks"] == direct["weeks"]
    assert latest["result"]["goal"] == direct["goal"]
    assert latest["first_day"] == FROM and latest["last_day"] == TO


def test_bad_input_names_the_field(client: TestClient, tokens: dict[str, str]) -> None:
    marketing = {"Authorization": f"Bearer {tokens['marketing']}"}
    client.put("/api/v1/playbooks/api-dry", content=PLAYBOOK, headers={**marketing, **YAML})
    url = "/api/v1/playbooks/api-dry/dry-runs"
    backwards = client.post(url, json={"from": TO, "to": FROM}, headers=marketing)
    assert backwards.status_code == 422 and "from" in backwards.text
    future = (business_today("UTC") + timedelta(days=3)).isoformat()
    ahead = client.post(url, json={"from": FROM, "to": future}, headers=marketing)
    assert ahead.status_code == 422 and "to:" in ahead.text and "future" in ahead.text
    early = client.post(url, json={"from": "2001-01-01", "to": TO}, headers=marketing)
    assert early.status_code == 422 and "first day of history" in early.text
    garbled = client.post(url, json={"from": "March", "to": TO}, headers=marketing)
    assert garbled.status_code == 422 and "from" in garbled.text
    missing = client.post(url, json={"from": FROM}, headers=marketing)
    assert missing.status_code == 422 and "to" in missing.text
    unknown = client.post(
        "/api/v1/playbooks/nothing/dry-runs", json={"from": FROM, "to": TO}, headers=marketing
    )
    assert unknown.status_code == 404 and "nothing" in unknown.text
    anonymous = client.post(url, json={"from": FROM, "to": TO})
    assert anonymous.status_code == 401
