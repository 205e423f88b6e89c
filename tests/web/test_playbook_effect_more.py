"""The playbook page's goal rate over time, each way of its split and the still-active rows.

Each figure drawn or shown is checked against counts made here with straight SQL on the
demo's orders and the enrollments, in both languages.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tenure.analytics import uplift
from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.customers.models import Customer
from tenure.storage.engine import write_transaction
from tests.web.conftest import chart_option, sign_in, table_rows

FIRST_MONDAY = datetime(2025, 10, 6, 10, 0, tzinfo=UTC)
WEEKS = 5
PLAYBOOK = """\
name: web-weeks
title: {en: Weekly offer, zh: 每周优惠}
trigger: {manual: true}
enrollment: {holdout: 0.4}
goal: {purchase: true, within_days: 30}
steps:
  - id: pick
    split:
      - {share: 0.5, go: mail}
      - {share: 0.5, go: call}
  - id: mail
    add_tags: [mailed]
  - exit: true
  - id: call
    add_tags: [called]
"""
# per enrollment: held out, enrolled when, bought within 30 days (straight SQL, SQLite dates)
REACHED = text(
    """
    SELECT e.id, e.holdout, e.enrolled_at,
           EXISTS (SELECT 1 FROM orders o
                   WHERE o.customer_id = e.customer_id AND o.status = 'paid'
                     AND o.ordered_at >= e.enrolled_at
                     AND o.ordered_at < datetime(e.enrolled_at, '+30 days')) AS bought
    FROM enrollments e JOIN playbooks p ON p.id = e.playbook_id
    WHERE p.name = 'web-weeks'
    ORDER BY e.id
    """
)


def _enroll(engine: Engine) -> None:
    """Enrol the 150 customers once: the demo engine is shared by the session's tests."""
    with engine.connect() as conn:
        done = conn.execute(
            text(
                "SELECT count(*) FROM enrollments e JOIN playbooks p ON p.id = e.playbook_id "
                "WHERE p.name = 'web-weeks'"
            )
        ).scalar_one()
    if done:
        return
    with write_transaction(engine) as conn:
        service.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "web-weeks.yaml")])
        ids = conn.execute(
            Customer.__table__.select()
            .with_only_columns(Customer.external_id)
            .order_by(Customer.id)
            .offset(300)
            .limit(150)
        ).all()
        for n, (external_id,) in enumerate(ids):
            at = FIRST_MONDAY + timedelta(days=7 * (n % WEEKS) + n % 5)
            service.enroll(conn, Actor(None, "cli"), "web-weeks", external_id, at)


def _way(enrollment_id: int) -> str:
    draw = int.from_bytes(hashlib.sha256(f"{enrollment_id}:pick".encode()).digest()[:8], "big")
    return "mail" if draw / 2**64 < 0.5 else "call"


def test_goal_rate_over_time_and_each_way_in_both_languages(
    app_client: TestClient, demo_engine: Engine
) -> None:
    _enroll(demo_engine)
    with demo_engine.connect() as conn:
        rows = [(int(i), bool(h), str(at), bool(b)) for i, h, at, b in conn.execute(REACHED)]
    assert len(rows) == 150
    sign_in(app_client, "viewer")
    en = app_client.get("/playbooks/web-weeks").text

    # the chart: one point per enrollment week, cumulative, as counted here
    option = chart_option(en, "goal_rate")
    treated_line, holdout_line, _base, _height, difference, low, high = (
        s["data"] for s in option["series"]
    )
    assert len(treated_line) == WEEKS
    for k in range(WEEKS):
        end = date(2025, 10, 6) + timedelta(days=7 * k + 7)
        upto = [r for r in rows if date.fromisoformat(r[2][:10]) < end]
        t = [r[3] for r in upto if not r[1]]
        h = [r[3] for r in upto if r[1]]
        expected = uplift.rate_difference(sum(t), len(t), sum(h), len(h))
        assert expected is not None
        assert treated_line[k] == round(100 * sum(t) / len(t), 1)
        assert holdout_line[k] == round(100 * sum(h) / len(h), 1)
        assert difference[k] == round(100 * expected.difference, 1)
        assert (low[k], high[k]) == (round(100 * expected.low, 1), round(100 * expected.high, 1))
    assert "Goal rate over time" in en

    # each way of the split against the whole holdout
    held = [r[3] for r in rows if r[1]]
    ways = dict(
        zip(
            re.findall(r'<tr data-variant="(\w+)">', en),
            table_rows(en, "variant-figures"),
            strict=True,
        )
    )
    for way in ("mail", "call"):
        mine = [r[3] for r in rows if not r[1] and _way(r[0]) == way]
        share, treated, rate, holdout_rate = ways[way][:4]
        assert treated == str(len(mine)) and share == "50%"
        assert (
            rate == f"{sum(mine) / len(mine):.1%}"
            and holdout_rate == f"{sum(held) / len(held):.1%}"
        )

    # the sample-ratio check, with the counts it tested
    t_all, h_all = sum(not r[1] for r in rows), sum(r[1] for r in rows)
    assert f'data-treated="{t_all}" data-holdout="{h_all}"' in en

    zh = app_client.get("/playbooks/web-weeks?lang=zh").text
    assert "目标达成率随时间变化" in zh and "随机分流的各路" in zh
    assert chart_option(zh, "goal_rate")["series"][0]["data"] == treated_line
