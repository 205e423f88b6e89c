"""The playbook page's "Did it work?": treated against holdout, each figure checked against a
count made here from the demo's orders, in both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, PlaybookRecord
from tenure.domains.customers.models import Customer
from tenure.domains.orders.models import Order
from tenure.storage.engine import write_transaction
from tests.web.conftest import sign_in, table_rows

ENROLLED = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
PLAYBOOK = """\
name: web-offer
title: {en: A measured offer, zh: 衡量中的优惠}
trigger: {manual: true}
enrollment: {holdout: 0.5}
goal: {purchase: true, within_days: 30}
steps:
  - add_tags: [offered]
"""


def _reached(engine: Engine) -> dict[bool, tuple[int, int]]:
    """(customers who bought within 30 days, customers) per group, counted row by row."""
    with engine.connect() as conn:
        enrolled = conn.execute(
            select(Enrollment.customer_id, Enrollment.holdout, Enrollment.enrolled_at)
            .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
            .where(PlaybookRecord.name == "web-offer")
        ).all()
        paid = conn.execute(
            select(Order.customer_id, Order.ordered_at).where(Order.status == "paid")
        ).all()
    counts = {True: [0, 0], False: [0, 0]}
    for customer, held, at in enrolled:
        bought = any(c == customer and at <= t < at + timedelta(days=30) for c, t in paid)
        counts[bool(held)][0] += int(bought)
        counts[bool(held)][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def test_the_effect_of_a_playbook_in_both_languages(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        service.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "web-offer.yaml")])
        ids = conn.execute(
            select(Customer.external_id).order_by(Customer.id).offset(150).limit(120)
        ).all()
        # customers in the middle: other pages' tests read the first ones without playbooks
        for (external_id,) in ids:
            service.enroll(conn, Actor(None, "cli"), "web-offer", external_id, ENROLLED)
    counts = _reached(demo_engine)
    (t_goals, t_n), (h_goals, h_n) = counts[False], counts[True]
    assert t_n + h_n == 120 and t_n and h_n
    sign_in(app_client, "viewer")
    en = app_client.get("/playbooks/web-offer").text
    keys = re.findall(r"<tr data-figure=\"(\w+)\"", en)
    rows = dict(zip(keys, table_rows(en, "effect-figures"), strict=True))
    treated, held = rows["goal_rate"][0], rows["goal_rate"][1]
    assert treated == f"{t_goals / t_n:.1%}" and held == f"{h_goals / h_n:.1%}"
    assert f"{t_n} treated and {h_n} held out so far" in en
    assert 'data-broken="no"' in en and "Not enough data yet." in en
    assert {"revenue", "margin"} <= set(rows) and "Goal reached" in en
    # the goal rate is the primary metric (the default with a goal): first, and marked
    assert keys[0] == "goal_rate" and '<tr data-figure="goal_rate" data-role="primary">' in en
    assert en.count('data-role="primary"') == 1 and "Primary metric, declared" in en
    zh = app_client.get("/playbooks/web-offer?lang=zh").text
    assert "效果如何？" in zh and "达成目标" in zh and "数据尚不足。" in zh
    assert f"目前执行组 {t_n} 人，对照组 {h_n} 人" in zh


def test_a_playbook_without_holdout_says_so(app_client: TestClient, demo_engine: Engine) -> None:
    with write_transaction(demo_engine) as conn:
        service.apply(
            conn,
            Actor(None, "cli"),
            [parse(PLAYBOOK.replace("web-offer", "web-all").replace("0.5", "0"), "web-all.yaml")],
        )
    sign_in(app_client, "viewer")
    page = app_client.get("/playbooks/web-all").text
    assert 'id="no-holdout"' in page and 'id="effect-figures"' not in page
