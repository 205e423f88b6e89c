"""A playbook's measured effect: treated against holdout, intent to treat, on both databases.

The customers' purchases are made up here with a known lift, so every figure of the report is
checked against a count of what this test wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select, update

from tenure.analytics import uplift
from tenure.domains.audit.service import Actor
from tenure.domains.automation import measure, service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, EnrollmentStatus
from tenure.domains.customers import changes
from tenure.domains.customers.models import Customer
from tenure.domains.orders.models import Order
from tenure.kit.errors import InvalidInput, NotFound
from tenure.storage.engine import write_transaction

PERSON = Actor(None, "cli")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=45)
CUSTOMERS = 240
PLAYBOOK = """\
name: offer
title: {en: An offer, zh: 优惠}
trigger: {manual: true}
enrollment: {holdout: 0.5}
goal: {purchase: true, within_days: 30}
steps:
  - add_tags: [offered]
"""


def _store(engine: Engine) -> dict[int, bool]:
    """Customers enrolled at START (and three more five days ago); who is held out."""
    with write_transaction(engine) as conn:
        service.apply(conn, PERSON, [parse(PLAYBOOK, "offer.yaml")])
        for i in range(CUSTOMERS + 3):
            changes.create_customer(conn, PERSON, {"external_id": f"M{i:04d}"})
        for i in range(CUSTOMERS):
            service.enroll(conn, PERSON, "offer", f"M{i:04d}", START + timedelta(hours=i % 24))
        for i in range(CUSTOMERS, CUSTOMERS + 3):  # their window is still open: not measured
            service.enroll(conn, PERSON, "offer", f"M{i:04d}", NOW - timedelta(days=5))
    with engine.connect() as conn:
        rows = conn.execute(
            select(Customer.id, Enrollment.holdout, Enrollment.enrolled_at).join(
                Enrollment, Enrollment.customer_id == Customer.id
            )
        ).all()
    return {int(c): bool(h) for c, h, at in rows if at < NOW - timedelta(days=30)}


def test_the_report_counts_what_happened(store: Engine) -> None:
    groups = _store(store)
    rng = np.random.default_rng(1)
    orders, bought, after, before = [], {}, {}, {}
    for n, (customer, held) in enumerate(sorted(groups.items())):
        buys = rng.random() < (0.25 if held else 0.45)
        spent_before = float(rng.integers(0, 3)) * 50
        bought[customer], after[customer], before[customer] = buys, 0.0, spent_before
        if spent_before:
            orders.append((customer, START - timedelta(days=10), spent_before, "paid"))
        if buys:
            amount = 80.0 + spent_before
            after[customer] = amount
            orders.append((customer, START + timedelta(days=12), amount, "paid"))
        # outside every window, or not paid: never counted
        orders.append((customer, START + timedelta(days=40), 999.0, "paid"))
        orders.append((customer, START + timedelta(days=3), 555.0, "refunded"))
        if n % 7 == 0:
            orders.append((customer, START - timedelta(days=40), 777.0, "paid"))
    with write_transaction(store) as conn:
        conn.execute(
            insert(Order),
            [
                {
                    "external_id": f"O{i}",
                    "customer_id": c,
                    "ordered_at": at,
                    "amount": Decimal(str(a)),
                    "status": s,
                }
                for i, (c, at, a, s) in enumerate(orders)
            ],
        )
        # a treated enrollment that exited early still counts its purchase (intent to treat)
        exited = next(c for c, held in groups.items() if not held and bought[c])
        conn.execute(
            update(Enrollment)
            .where(Enrollment.customer_id == exited)
            .values(status=EnrollmentStatus.EXITED.value)
        )

    with store.connect() as conn:
        found = measure.measure(conn, "offer", margin_share=0.4, now=NOW)
    treated = [c for c, held in groups.items() if not held]
    held_out = [c for c, held in groups.items() if held]
    assert (found.measured_treated, found.measured_holdout) == (len(treated), len(held_out))
    assert found.assigned_treated + found.assigned_holdout == CUSTOMERS + 3
    assert found.window_days == 30 and found.goal == "purchase"
    t_goals = sum(bought[c] for c in treated)
    h_goals = sum(bought[c] for c in held_out)
    expected = uplift.rate_difference(t_goals, len(treated), h_goals, len(held_out))
    assert found.goal_rate == expected
    assert found.revenue is not None
    assert found.revenue.treated == pytest.approx(np.mean([after[c] for c in treated]))
    assert found.revenue.holdout == pytest.approx(np.mean([after[c] for c in held_out]))
    adjusted = uplift.cuped(
        [after[c] for c in sorted(treated)],
        [before[c] for c in sorted(treated)],
        [after[c] for c in sorted(held_out)],
        [before[c] for c in sorted(held_out)],
    )
    assert adjusted is not None and found.revenue_adjusted is not None
    assert found.revenue_adjusted.difference.difference == pytest.approx(
        adjusted.difference.difference
    )
    assert found.revenue_adjusted.variance_reduction == pytest.approx(adjusted.variance_reduction)
    figures = found.as_dict()
    assert figures["margin_per_customer"]["difference"] == pytest.approx(
        0.4 * found.revenue.difference
    )
    assert figures["sample_ratio"]["expected_share"] == 0.5
    assert figures["enough"] is False and figures["customers_needed"] > CUSTOMERS


def test_an_unknown_playbook_or_window_is_refused(store: Engine) -> None:
    with store.connect() as conn:
        with pytest.raises(NotFound, match="playbook"):
            measure.measure(conn, "nothing", margin_share=0.3, now=NOW)
    with write_transaction(store) as conn:
        service.apply(conn, PERSON, [parse(PLAYBOOK, "offer.yaml")])
    with store.connect() as conn:
        with pytest.raises(InvalidInput, match="window_days"):
            measure.measure(conn, "offer", margin_share=0.3, now=NOW, window_days=9999)
        empty = measure.measure(conn, "offer", margin_share=0.3, now=NOW)
    assert empty.goal_rate is None and empty.revenue is None and not empty.enough
    assert empty.as_dict()["measured"] == {"treated": 0, "holdout": 0}
