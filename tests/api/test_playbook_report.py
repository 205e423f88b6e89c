"""GET /api/v1/playbooks/{name}/report on both databases: the figures `measure` computes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.automation import measure
from tenure.domains.customers.models import Customer
from tenure.kit.settings import Settings

YAML = {"Content-Type": "text/yaml"}
PLAYBOOK = """\
name: api-report
title: {en: An offer, zh: 优惠}
trigger: {manual: true}
enrollment: {holdout: 0.3}
goal: {purchase: true, within_days: 14}
steps:
  - add_tags: [offered]
"""


def test_the_report_route_answers_what_measure_finds(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    marketing = {"Authorization": f"Bearer {tokens['marketing']}"}
    published = client.put(
        "/api/v1/playbooks/api-report", content=PLAYBOOK, headers={**marketing, **YAML}
    )
    assert published.status_code == 201, published.text
    with store.connect() as conn:
        ids = conn.execute(select(Customer.external_id).order_by(Customer.id).limit(20)).all()
    for (external_id,) in ids:
        made = client.post(
            "/api/v1/playbooks/api-report/enrollments",
            json={"customer": external_id},
            headers=marketing,
        )
        assert made.status_code == 201, made.text
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    answer = client.get("/api/v1/playbooks/api-report/report", headers=viewer)
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    with store.connect() as conn:
        direct = measure.measure(conn, "api-report", margin_share=Settings().value.margin)
    assert figures["assigned"] == {
        "treated": direct.assigned_treated,
        "holdout": direct.assigned_holdout,
    }
    assert direct.assigned_treated + direct.assigned_holdout == 20
    # enrolled just now: every window is open, so nobody is measured yet
    assert figures["measured"] == {"treated": 0, "holdout": 0} and figures["goal_rate"] is None
    assert figures["goal"] == "purchase" and figures["window_days"] == 14
    assert figures["enough"] is False and figures["customers_needed"] > 0
    assert client.get("/api/v1/playbooks/nothing/report", headers=viewer).status_code == 404
    wide = client.get(
        "/api/v1/playbooks/api-report/report", params={"window_days": 0}, headers=viewer
    )
    assert wide.status_code == 422 and "window_days" in wide.text
