"""The primary metric a playbook declares, and the still-active shares, on both databases.

The activity is made up here customer by customer, so every share is checked against a count
of what this test wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select

from tenure.analytics import uplift
from tenure.domains.audit.service import Actor
from tenure.domains.automation import measure, service
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.loading import PlaybookInvalid, parse
from tenure.domains.automation.models import Enrollment
from tenure.domains.customers import changes
from tenure.domains.events.models import Event
from tenure.domains.orders.models import Order
from tenure.storage.engine import write_transaction

PERSON = Actor(None, "cli")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=100)
RECENT = NOW - timedelta(days=50)  # 30 days closed, 90 not yet
PLAYBOOK = """\
name: keep
title: {en: Keep them, zh: 留住}
trigger: {manual: true}
enrollment: {holdout: 0.5}
goal: {purchase: true, within_days: 30}
measure:
  primary: still_active_90d
  window_days: 21
steps:
  - add_tags: [kept]
"""


def _mistakes(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(PlaybookInvalid) as caught:
        parse(text, "keep.yaml")
    return [(m.line, m.field, m.message) for m in caught.value.mistakes]


def test_a_bad_primary_metric_is_named_with_its_file_line_and_field() -> None:
    unknown = _mistakes(PLAYBOOK.replace("still_active_90d", "clicks"))
    assert [(line, field) for line, field, _ in unknown] == [(7, "measure.primary")]
    assert "goal_rate" in unknown[0][2] and "still_active_90d" in unknown[0][2]
    no_goal = PLAYBOOK.replace("goal: {purchase: true, within_days: 30}\n", "")
    [(line, field, message)] = _mistakes(no_goal.replace("still_active_90d", "goal_rate"))
    assert (line, field) == (6, "measure.primary") and "goal_rate needs a goal" in message
    [(line, field, _)] = _mistakes(PLAYBOOK.replace("window_days: 21", "window_days: 0"))
    assert (line, field) == (8, "measure.window_days")
    [(line, field, _)] = _mistakes(PLAYBOOK.replace("window_days: 21", "windows: 21"))
    assert field == "measure.windows"


def test_the_primary_metric_defaults_to_the_goal_rate_else_revenue() -> None:
    declared = parse(PLAYBOOK, "keep.yaml").playbook
    assert declared.primary_metric == "still_active_90d"
    plain = PLAYBOOK.replace("measure:\n  primary: still_active_90d\n  window_days: 21\n", "")
    assert parse(plain, "keep.yaml").playbook.primary_metric == "goal_rate"
    no_goal = plain.replace("goal: {purchase: true, within_days: 30}\n", "")
    assert parse(no_goal, "keep.yaml").playbook.primary_metric == "revenue_per_customer"
    # the schema editors use offers the same choices
    schema = Playbook.model_json_schema(by_alias=True)["$defs"]["Measure"]
    assert "still_active_30d" in str(schema["properties"]["primary"])


def _activity(engine: Engine) -> dict[int, tuple[bool, datetime, bool, bool]]:
    """Enroll 200 customers at START and 40 at RECENT; write who was active when.

    Returns customer → (held out, enrolled at, active at day 30, active at day 90), as this
    test wrote the activity.
    """
    rng = np.random.default_rng(7)
    with write_transaction(engine) as conn:
        service.apply(conn, PERSON, [parse(PLAYBOOK, "keep.yaml")])
        for i in range(240):
            changes.create_customer(conn, PERSON, {"external_id": f"K{i:04d}"})
            service.enroll(conn, PERSON, "keep", f"K{i:04d}", START if i < 200 else RECENT)
        rows = conn.execute(
            select(Enrollment.customer_id, Enrollment.holdout, Enrollment.enrolled_at)
        ).all()
        truth: dict[int, tuple[bool, datetime, bool, bool]] = {}
        orders, events = [], []
        for customer, held, at in rows:
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
            early = rng.random() < (0.5 if held else 0.6)
            late = rng.random() < (0.3 if held else 0.45)
            if early:  # an own event on day 10 (a login, imported)
                events.append((customer, at + timedelta(days=10), "login", "import"))
            if late:  # a paid order on day 75
                orders.append((customer, at + timedelta(days=75), "paid"))
            # never activity: a refunded order, a system event, an open of our mail, day 80
            orders.append((customer, at + timedelta(days=80), "refunded"))
            events.append((customer, at + timedelta(days=80), "stage_changed", "run"))
            events.append((customer, at + timedelta(days=81), "email_open", "import"))
            # outside both spans: day 45 and day 95
            events.append((customer, at + timedelta(days=45), "login", "api"))
            events.append((customer, at + timedelta(days=95), "login", "api"))
            truth[int(customer)] = (bool(held), at, early, late)
        conn.execute(
            insert(Order),
            [
                {"external_id": f"K{n}", "customer_id": c, "ordered_at": t, "amount": Decimal(9)}
                | {"status": s}
                for n, (c, t, s) in enumerate(orders)
            ],
        )
        conn.execute(
            insert(Event),
            [
                {
                    "external_id": f"E{n}",
                    "customer_id": c,
                    "occurred_at": t,
                    "type": kind,
                    "source": source,
                }
                for n, (c, t, kind, source) in enumerate(events)
            ],
        )
    return truth


def test_still_active_shares_count_only_closed_windows(store: Engine) -> None:
    truth = _activity(store)
    with store.connect() as conn:
        found = measure.measure(conn, "keep", margin_share=0.3, now=NOW)
    assert found.primary == "still_active_90d" and found.window_days == 21
    assert "goal_rate" in found.exploratory and "still_active_90d" not in found.exploratory
    for days, index in ((30, 2), (90, 3)):
        closed = [v for v in truth.values() if v[1] <= NOW - timedelta(days=days)]
        treated = [v[index] for v in closed if not v[0]]
        held = [v[index] for v in closed if v[0]]
        expected = uplift.rate_difference(sum(treated), len(treated), sum(held), len(held))
        kept = found.still_active_at(days)
        assert kept is not None and (kept.treated, kept.holdout) == (len(treated), len(held))
        assert kept.difference == expected
    assert found.still_active_at(30).treated + found.still_active_at(30).holdout == 240  # type: ignore[union-attr]
    assert found.still_active_at(90).treated + found.still_active_at(90).holdout == 200  # type: ignore[union-attr]
    figures = found.as_dict()
    assert figures["primary_metric"] == "still_active_90d"
    assert figures["still_active_90d"]["share"]["difference"] == pytest.approx(
        found.still_active_at(90).difference.difference  # type: ignore[union-attr]
    )
    assert figures["variants"] == []
