"""The playbook page's "not enough data yet" speaks of the primary metric, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import measure, service
from tenure.domains.automation.loading import parse
from tenure.domains.customers.models import Customer
from tenure.storage.engine import write_transaction
from tests.web.conftest import sign_in

ENROLLED = datetime(2025, 11, 3, 10, 0, tzinfo=UTC)
PLAYBOOK = """\
name: web-keep
title: {en: Keep them active, zh: 保持活跃}
trigger: {manual: true}
enrollment: {holdout: 0.5}
goal: {purchase: true, within_days: 30}
measure: {primary: still_active_30d}
steps:
  - add_tags: [kept]
"""


def test_a_still_active_primary_says_what_it_needs(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        service.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "web-keep.yaml")])
        ids = conn.execute(
            select(Customer.external_id).order_by(Customer.id).offset(400).limit(40)
        ).all()
        for (external_id,) in ids:
            service.enroll(conn, Actor(None, "cli"), "web-keep", external_id, ENROLLED)
    with demo_engine.connect() as conn:
        found = measure.measure(conn, "web-keep", margin_share=0.3)
    assert found.needed is not None and found.customers_needed and not found.enough
    sign_in(app_client, "viewer")
    en = app_client.get("/playbooks/web-keep").text
    assert 'id="not-enough" class="muted" data-metric="still_active_30d"' in en
    assert (
        f"About {found.customers_needed:,} customers enrolled at least 30 days ago are needed "
        "to detect a 5-point difference in the share still active after 30 days; "
        f"{found.needed.measured:,} so far."
    ) in en
    assert "in the goal rate;" not in en
    zh = app_client.get("/playbooks/web-keep?lang=zh").text
    assert "30 天后仍活跃比例 5 个百分点的差异" in zh
