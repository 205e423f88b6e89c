"""GET /api/v1/programme/report: every marketing playbook against the global control."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.automation.models import Enrollment, PlaybookRecord, PlaybookVersion
from tenure.domains.automation.programme import programme
from tenure.domains.customers.models import Customer
from tenure.kit.settings import AutomationSettings, Settings
from tenure.web.app import create_app

SHARE = 0.3
YAML = {"Content-Type": "text/yaml"}
PLAYBOOK = """\
name: api-programme
title: {en: An offer, zh: 优惠}
trigger: {manual: true}
steps:
  - add_tags: [offered]
"""


def test_the_programme_route_answers_what_programme_finds(
    tokens: dict[str, str], store: Engine
) -> None:
    settings = Settings(automation=AutomationSettings(global_control_share=SHARE))
    client = TestClient(create_app(store, settings))
    marketing = {"Authorization": f"Bearer {tokens['marketing']}"}
    published = client.put(
        "/api/v1/playbooks/api-programme", content=PLAYBOOK, headers={**marketing, **YAML}
    )
    assert published.status_code == 201, published.text
    with store.connect() as conn:
        customers = conn.execute(
            select(Customer.id, Customer.external_id).order_by(Customer.id).offset(200).limit(40)
        ).all()
    for _, external_id in customers:
        made = client.post(
            "/api/v1/playbooks/api-programme/enrollments",
            json={"customer": external_id},
            headers=marketing,
        )
        assert made.status_code == 201, made.text
    with store.connect() as conn:
        flagged = dict(
            conn.execute(
                select(Enrollment.customer_id, Enrollment.global_control)
                .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
                .where(PlaybookRecord.name == "api-programme")
            ).all()
        )
    for customer_id, _ in customers:
        digest = hashlib.sha256(f"global-control:{customer_id}".encode()).digest()
        assert flagged[customer_id] == (int.from_bytes(digest[:8], "big") / 2**64 < SHARE)
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    answer = client.get("/api/v1/programme/report", headers=viewer)
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    with store.connect() as conn:
        direct = programme(conn, share=SHARE, margin_share=settings.value.margin)
    # customers another test enrolled in a marketing playbook before are no new entries
    with store.connect() as conn:
        kinds = {
            (p, v): (d or {}).get("kind", "marketing")
            for p, v, d in conn.execute(
                select(
                    PlaybookVersion.playbook_id, PlaybookVersion.version, PlaybookVersion.definition
                )
            )
        }
        earlier = {
            int(c)
            for c, p, v, at in conn.execute(
                select(
                    Enrollment.customer_id,
                    Enrollment.playbook_id,
                    Enrollment.version,
                    Enrollment.enrolled_at,
                )
            )
            if kinds[(p, v)] == "marketing"
            and at.replace(tzinfo=None) < direct.started.replace(tzinfo=None)  # type: ignore[union-attr]
        }
    entered = {c: f for c, f in flagged.items() if c not in earlier}
    controlled = sum(entered.values())
    assert figures["assigned"] == {"treated": len(entered) - controlled, "control": controlled}
    assert figures["assigned"] == {
        "treated": direct.assigned_treated,
        "control": direct.assigned_control,
    }
    # entered just now: no window has closed
    assert figures["measured"] == {"treated": 0, "control": 0} and figures["enough"] is False
    assert figures["still_needed"] == direct.customers_needed > 0
    assert figures["primary_metric"] == "purchase_rate" and figures["window_days"] == 90
    short = client.get("/api/v1/programme/report", params={"window_days": 0}, headers=viewer)
    assert short.status_code == 422 and "window_days" in short.text
