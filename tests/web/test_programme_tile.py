"""The overview's tile of the playbooks' measured lift against the global control group.

Its figures are checked against a count made here, customer by customer, from the
enrollments and the demo's paid orders, in both languages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.analytics import uplift
from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, PlaybookVersion
from tenure.domains.customers.models import Customer
from tenure.domains.orders.models import Order
from tenure.kit.settings import AutomationSettings, Settings
from tenure.storage.engine import write_transaction
from tenure.web.app import create_app
from tests.web.conftest import sign_in

SHARE = 0.5
WINDOW = 30
ENTERED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
PLAYBOOK = """\
name: web-programme
title: {en: A campaign, zh: 一次活动}
kind: marketing
trigger: {manual: true}
steps:
  - add_tags: [campaign]
"""


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _count(engine: Engine) -> tuple[list[bool], list[bool]]:
    """Whether each measured customer bought within the window: (treated, control)."""
    with engine.connect() as conn:
        marketing = {
            (p, v)
            for p, v, d in conn.execute(
                select(
                    PlaybookVersion.playbook_id,
                    PlaybookVersion.version,
                    PlaybookVersion.definition,
                )
            )
            if (d or {}).get("kind", "marketing") == "marketing"
        }
        enrollments = conn.execute(
            select(
                Enrollment.id,
                Enrollment.customer_id,
                Enrollment.playbook_id,
                Enrollment.version,
                Enrollment.enrolled_at,
                Enrollment.global_control,
            )
        ).all()
        paid = conn.execute(
            select(Order.customer_id, Order.ordered_at).where(Order.status == "paid")
        ).all()
    started = min(_utc(at) for *_, at, control in enrollments if control)
    first: dict[int, tuple[datetime, int, bool]] = {}
    for i, customer, playbook, version, at, control in enrollments:
        if (playbook, version) in marketing:
            mine = (_utc(at), i, bool(control))
            first[customer] = min(first.get(customer, mine), mine)
    closed_by = datetime.now(UTC) - timedelta(days=WINDOW)
    treated: list[bool] = []
    control_group: list[bool] = []
    for customer, (at, _, control) in first.items():
        if at < started or at > closed_by:
            continue
        end = at + timedelta(days=WINDOW)
        bought = any(c == customer and at <= _utc(t) < end for c, t in paid)
        (control_group if control else treated).append(bought)
    return treated, control_group


def _tile(page: str) -> tuple[str, str]:
    lift = re.search(r'id="programme-lift">([^<]*)<', page)
    detail = re.search(r'id="programme-detail">([^<]*)<', page)
    assert lift is not None and detail is not None
    return lift[1].strip(), " ".join(detail[1].split())


def test_the_programme_tile_in_both_languages(demo_engine: Engine) -> None:
    with write_transaction(demo_engine) as conn:
        service.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "web-programme.yaml")])
        ids = conn.execute(
            select(Customer.external_id).order_by(Customer.id).offset(450).limit(50)
        ).all()
        for (external_id,) in ids:
            service.enroll(
                conn,
                Actor(None, "cli"),
                "web-programme",
                external_id,
                ENTERED,
                global_control=SHARE,
            )
    treated, control = _count(demo_engine)
    assert treated and control
    expected = uplift.rate_difference(sum(treated), len(treated), sum(control), len(control))
    assert expected is not None

    automation = AutomationSettings(
        global_control_share=SHARE,
        programme_window_days=WINDOW,
        programme_detectable_difference=0.45,  # a large difference: 50 customers are enough
    )
    client = TestClient(create_app(demo_engine, Settings(automation=automation)))
    sign_in(client, "viewer")
    en = client.get("/").text
    assert 'data-enough="yes"' in en
    lift, detail = _tile(en)
    assert lift == f"{expected.difference * 100:+.1f} percentage points"
    assert detail.startswith(
        f"95% interval {expected.low * 100:+.1f} … {expected.high * 100:+.1f};"
    )
    assert f"{sum(treated) / len(treated):.1%} of the customers the playbooks could reach" in detail
    assert f"{sum(control) / len(control):.1%} of the global control" in detail
    assert f"({len(treated) + len(control)} customers measured)" in detail
    zh = client.get("/?lang=zh").text
    assert "剧本的实测提升" in zh and _tile(zh)[0] == lift.replace("percentage points", "个百分点")

    # a small difference sought needs more customers than there are: not enough data yet
    small = automation.model_copy(update={"programme_detectable_difference": 0.05})
    client = TestClient(create_app(demo_engine, Settings(automation=small)))
    sign_in(client, "viewer")
    lift, detail = _tile(client.get("/").text)
    needed = (
        uplift.customers_needed(min(max(expected.holdout, 0.01), 0.94), 0.05, SHARE)
        - len(treated)
        - len(control)
    )
    assert lift == "Not enough data yet"
    assert detail == (
        f"About {needed:,} more customers must be measured to detect a 5-point difference "
        f"({len(treated) + len(control)} so far)."
    )
    zh_lift, zh_detail = _tile(client.get("/?lang=zh").text)
    assert zh_lift == "数据尚不足" and f"{needed:,}" in zh_detail

    # without a global control the overview has no such tile
    plain = TestClient(create_app(demo_engine, Settings()))
    sign_in(plain, "viewer")
    assert 'id="programme"' not in plain.get("/").text
