"""The global control group and the programme's lift, on both databases.

Who is in the group is drawn here again from the customer's id; the purchases are made up
with a known lift, so every figure is checked against a count of what this test wrote.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select

from tenure.analytics import uplift
from tenure.domains.audit.service import Actor
from tenure.domains.automation import enrollment, measure, service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, PlaybookRecord, StepRun
from tenure.domains.automation.programme import programme
from tenure.domains.customers import changes
from tenure.domains.orders.models import Order
from tenure.kit.clock import FrozenClock
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import AutomationSettings, Settings
from tenure.storage.engine import write_transaction
from tenure.worker import playbooks

PERSON = Actor(None, "cli")
SHARE = 0.25
START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=130)
CUSTOMERS = 400


def _playbook(name: str, kind: str) -> str:
    return f"""\
name: {name}
title: {{en: {name}, zh: {name}}}
kind: {kind}
trigger: {{manual: true}}
enrollment: {{holdout: 0.1}}
steps:
  - add_tags: [{name}]
"""


def _member(customer_id: int) -> bool:
    digest = hashlib.sha256(f"global-control:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < SHARE


def _store(engine: Engine) -> dict[int, datetime]:
    """Enroll everyone; return each measured customer's entry (first marketing enrollment)."""
    with write_transaction(engine) as conn:
        texts = [_playbook("offer", "marketing"), _playbook("upsell", "marketing")]
        texts.append(_playbook("onboard", "service"))
        service.apply(conn, PERSON, [parse(t, "p.yaml") for t in texts])
        for i in range(CUSTOMERS):
            changes.create_customer(conn, PERSON, {"external_id": f"G{i:04d}"})
        # before the global control started: this customer was treated already
        service.enroll(conn, PERSON, "offer", "G0000", START - timedelta(days=30))
        for i in range(CUSTOMERS):
            at = START + timedelta(days=i % 20)
            if i > 0:
                service.enroll(conn, PERSON, "offer", f"G{i:04d}", at, global_control=SHARE)
            if i % 3 == 0:  # a second marketing playbook later: the entry stays the first
                later = at + timedelta(days=10)
                service.enroll(conn, PERSON, "upsell", f"G{i:04d}", later, global_control=SHARE)
            service.enroll(conn, PERSON, "onboard", f"G{i:04d}", at, global_control=SHARE)
        rows = conn.execute(
            select(Enrollment.customer_id, Enrollment.enrolled_at)
            .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
            .where(PlaybookRecord.name.in_(["offer", "upsell"]))
        ).all()
    entries: dict[int, datetime] = {}
    for customer, at in rows:
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        entries[int(customer)] = min(at, entries.get(int(customer), at))
    return {c: at for c, at in entries.items() if at >= START}


def test_the_global_control_gets_no_marketing_playbook(store: Engine) -> None:
    entries = _store(store)
    playbooks.tick(store, Settings(), FrozenClock(START + timedelta(days=40)))
    with store.connect() as conn:
        rows = conn.execute(
            select(
                PlaybookRecord.name,
                Enrollment.id,
                Enrollment.customer_id,
                Enrollment.holdout,
                Enrollment.global_control,
            ).join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
        ).all()
        ran = set(conn.execute(select(StepRun.enrollment_id)).scalars())
    members = {c for c in entries if _member(c)}
    assert 60 < len(members) < 140  # about a quarter of 399
    for name, enrollment_id, customer, held, control in rows:
        if name == "onboard":  # a service playbook reaches everyone
            assert control is False
            assert (enrollment_id in ran) == (not held)
        elif customer in members:
            assert control is True and held is True and enrollment_id not in ran
        else:
            assert control is False
    # the playbook's own comparison leaves the global control out of both its groups
    with store.connect() as conn:
        offer = measure.measure(conn, "offer", margin_share=0.3, now=NOW)
    outside = [r for r in rows if r[0] == "offer" and r[2] not in members]
    assert offer.assigned_treated + offer.assigned_holdout == len(outside)
    assert offer.assigned_holdout == sum(1 for r in outside if r[3])
    # the worker's enrollments take the share from the settings
    with store.connect() as conn:
        versions = enrollment.current_versions(conn, SHARE)
    assert {v.global_control for v in versions} == {SHARE}
    assert AutomationSettings().global_control_share == 0.0


def test_the_programme_lift_counts_what_happened(store: Engine) -> None:
    entries = _store(store)
    rng = np.random.default_rng(5)
    spent: dict[int, float] = {}
    orders = []
    for customer, entered in sorted(entries.items()):
        buys = rng.random() < (0.2 if _member(customer) else 0.35)
        spent[customer] = 0.0
        if buys:
            spent[customer] = 40.0 + customer % 7
            orders.append((customer, entered + timedelta(days=30), spent[customer]))
        orders.append((customer, entered + timedelta(days=95), 500.0))  # after the window
        orders.append((customer, entered - timedelta(days=1), 300.0))  # before the entry
    with write_transaction(store) as conn:
        conn.execute(
            insert(Order),
            [
                {"external_id": f"P{n}", "customer_id": c, "ordered_at": at}
                | {"amount": Decimal(str(a))}
                for n, (c, at, a) in enumerate(orders)
            ],
        )
    with store.connect() as conn:
        found = programme(conn, share=SHARE, margin_share=0.3, window_days=90, now=NOW)
        early = programme(
            conn, share=SHARE, margin_share=0.3, window_days=90, now=START + timedelta(days=100)
        )
        with pytest.raises(InvalidInput, match="window_days"):
            programme(conn, share=SHARE, margin_share=0.3, window_days=0, now=NOW)
    control = [c for c in entries if _member(c)]
    treated = [c for c in entries if not _member(c)]
    assert (found.assigned_treated, found.assigned_control) == (len(treated), len(control))
    assert (found.measured_treated, found.measured_control) == (len(treated), len(control))
    assert found.purchase_rate == uplift.rate_difference(
        sum(spent[c] > 0 for c in treated),
        len(treated),
        sum(spent[c] > 0 for c in control),
        len(control),
    )
    assert found.revenue == uplift.mean_difference(
        [spent[c] for c in sorted(treated)], [spent[c] for c in sorted(control)]
    )
    assert found.sample_ratio == uplift.sample_ratio(len(treated), len(control), SHARE)
    figures = found.as_dict()
    assert figures["margin_per_customer"]["difference"] == pytest.approx(
        0.3 * found.revenue.difference  # type: ignore[union-attr]
    )
    assert figures["still_needed"] == max(0, found.customers_needed - len(entries))  # type: ignore[operator]
    # 100 days on, only entries of the first 10 days have closed their 90-day window
    closed = [c for c, at in entries.items() if at <= START + timedelta(days=10)]
    assert early.measured_treated + early.measured_control == len(closed)


def test_without_a_global_control_nobody_is_compared(store: Engine) -> None:
    with write_transaction(store) as conn:
        service.apply(conn, PERSON, [parse(_playbook("offer", "marketing"), "p.yaml")])
        changes.create_customer(conn, PERSON, {"external_id": "X1"})
        service.enroll(conn, PERSON, "offer", "X1", START)
    with store.connect() as conn:
        found = programme(conn, share=0.0, margin_share=0.3, now=NOW)
    assert found.started is None and found.purchase_rate is None and not found.enough
    assert found.as_dict()["assigned"] == {"treated": 0, "control": 0}


def test_the_playbook_holdout_tile_leaves_the_global_control_out(store: Engine) -> None:
    from tenure.domains.automation import reports

    _store(store)
    with store.connect() as conn:
        rows = conn.execute(
            select(Enrollment.holdout, Enrollment.global_control, Enrollment.customer_id)
            .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
            .where(PlaybookRecord.name == "offer")
        ).all()
        found = {s.name: s for s in reports.summary(conn, NOW)}
    control = [c for h, g, c in rows if g]
    assert control and all(_member(c) for c in control)  # they are stored as held out too …
    assert all(h for h, g, _ in rows if g)
    # … but the tile counts only the playbook's own holdout
    assert found["offer"].holdout == sum(1 for h, g, _ in rows if h and not g)
    assert found["offer"].enrolled == len(rows)


def test_a_share_saved_in_the_store_wins_over_the_file(store: Engine) -> None:
    from tenure.domains.automation.programme import global_control_share
    from tenure.domains.preferences import service as preferences

    configured = Settings(automation=AutomationSettings(global_control_share=0.0))
    with write_transaction(store) as conn:
        assert global_control_share(conn, configured) == 0.0
        preferences.save(conn, PERSON, "automation", {"global_control_share": 0.05}, configured)
        assert global_control_share(conn, configured) == 0.05
        with pytest.raises(InvalidInput, match="global_control_share"):
            preferences.save(conn, PERSON, "automation", {"global_control_share": 0.9}, configured)
