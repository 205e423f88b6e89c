""" "Not enough data yet": what the primary metric needs, in its own terms, on both databases.

A rate (the goal rate, a still-active share) needs enough customers to detect 5 points; a money
figure (revenue or margin per customer) a tenth of the holdout's, at the spread measured. Each
count is computed here again from what the test wrote.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import Engine, insert, select

from tenure.analytics import uplift
from tenure.cli.playbooks import _still_needed
from tenure.domains.automation import measure, service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment
from tenure.domains.orders.models import Order
from tenure.storage.engine import write_transaction
from tests.domains.automation.test_measure_primary import NOW, PERSON, PLAYBOOK, _activity


def test_a_still_active_primary_counts_the_customers_old_enough(store: Engine) -> None:
    truth = _activity(store)
    with store.connect() as conn:
        found = measure.measure(conn, "keep", margin_share=0.3, now=NOW)
    closed = [v for v in truth.values() if v[1] <= NOW - timedelta(days=90)]
    held = [v[3] for v in closed if v[0]]
    base = min(max(sum(held) / len(held), 0.01), 0.94)
    assert found.needed is not None and found.needed.metric == "still_active_90d"
    assert found.needed.measured == len(closed) == 200
    assert found.customers_needed == uplift.customers_needed(base, 0.05, 0.5)
    assert found.enough is (len(closed) >= found.customers_needed)
    words = _still_needed(found.as_dict())
    assert "enrolled at least 90 days ago" in words and "still active after 90 days" in words
    assert "goal rate" not in words


def test_a_revenue_primary_needs_a_tenth_of_the_holdout_revenue(store: Engine) -> None:
    truth = _activity(store)
    revenue = PLAYBOOK.replace("primary: still_active_90d", "primary: revenue_per_customer")
    with store.connect() as conn:
        before = measure.measure(conn, "keep", margin_share=0.3, now=NOW)
    with write_transaction(store) as conn:
        service.apply(conn, PERSON, [parse(revenue, "keep.yaml")])
        nobody_spent = measure.measure(conn, "keep", margin_share=0.3, now=NOW)
        assert before.primary == "still_active_90d"
        # inside no 21-day window has anyone bought yet: no spread, no figure
        assert nobody_spent.customers_needed is None and nobody_spent.needed is not None
        assert "have spent" in _still_needed(nobody_spent.as_dict())
        rows = conn.execute(select(Enrollment.customer_id, Enrollment.enrolled_at)).all()
        rng = np.random.default_rng(3)
        spent = {}
        for customer, at in rows:
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
            amount = float(rng.integers(0, 4)) * 25
            spent[int(customer)] = amount
            if amount:
                conn.execute(
                    insert(Order).values(
                        external_id=f"R{customer}",
                        customer_id=customer,
                        ordered_at=at + timedelta(days=5),
                        amount=Decimal(str(amount)),
                        status="paid",
                    )
                )
        found = measure.measure(conn, "keep", margin_share=0.3, now=NOW)
    values = np.array([spent[c] for c in truth])
    held = np.array([spent[c] for c, v in truth.items() if v[0]])
    difference = 0.1 * held.mean()
    expected = uplift.customers_needed_for_mean(values.std(ddof=1), difference, 0.5)
    assert found.needed is not None and found.needed.metric == "revenue_per_customer"
    assert found.needed.measured == len(truth) == 240
    assert found.customers_needed == expected
    assert found.needed.difference == round(difference, 2)
    words = _still_needed(found.as_dict())
    assert f"{difference:,.2f} in revenue per customer" in words and "goal rate" not in words


def test_the_mean_sample_size_is_the_normal_approximation() -> None:
    # two equal groups, a difference of a fifth of the spread: 2 × 2 (1.96 + 0.8416)² / 0.2²
    assert uplift.customers_needed_for_mean(10.0, 2.0, 0.5) == 2 * 393
