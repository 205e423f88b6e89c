"""The demo company's answers to its playbooks' emails, and the true effect written for them.

Small stores made here (both databases): a playbook named as a demo playbook, enrollments at
known times, delivered emails written straight into the outbox. Every count is checked against
what this test wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from tenure.demo.effects import EFFECTS, WINDOW_DAYS, TrueEffect
from tenure.demo.responses import PREFIX, Responder, true_effects
from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment
from tenure.domains.customers import changes
from tenure.domains.messaging.models import Message
from tenure.domains.orders.models import Order, OrderLine

PERSON = Actor(None, "cli")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
END = START + timedelta(days=28)
CUSTOMERS = 60
PLAYBOOK = """\
name: win-back
title: {en: Win back, zh: 挽回}
trigger: {manual: true}
enrollment: {holdout: 0.3}
goal: {purchase: true, within_days: 60}
steps:
  - add_tags: [offered]
"""


def _enrolled(conn: Connection) -> list[tuple[int, int, bool, datetime]]:
    """Enroll CUSTOMERS customers at START; return (enrollment, customer, holdout, enrolled)."""
    service.apply(conn, PERSON, [parse(PLAYBOOK, "win-back.yaml")])
    for i in range(CUSTOMERS):
        changes.create_customer(conn, PERSON, {"external_id": f"W{i:03d}"})
        service.enroll(conn, PERSON, "win-back", f"W{i:03d}", START + timedelta(hours=i % 5))
    rows = conn.execute(
        select(
            Enrollment.id, Enrollment.customer_id, Enrollment.holdout, Enrollment.enrolled_at
        ).order_by(Enrollment.id)
    ).all()
    return [(int(e), int(c), bool(h), _utc(at)) for e, c, h, at in rows]


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _mail(conn: Connection, enrollment_id: int, customer_id: int, sent: datetime | None) -> None:
    conn.execute(
        insert(Message).values(
            key=f"enrollment:{enrollment_id}:step:offer:0",
            customer_id=customer_id,
            category="marketing",
            template="win-back-offer",
            status="sent" if sent else "skipped",
            created_at=START,
            sent_at=sent,
            source="playbook:win-back",
        )
    )


def _order(conn: Connection, customer_id: int, at: datetime, external_id: str) -> None:
    conn.execute(
        insert(Order).values(
            external_id=external_id,
            customer_id=customer_id,
            ordered_at=at,
            status="paid",
            amount=Decimal("40.00"),
        )
    )


def test_every_emailed_treated_enrollment_answers_once_inside_its_window(conn: Connection) -> None:
    rows = _enrolled(conn)
    emailed = {}
    for n, (enrollment_id, customer_id, held, enrolled_at) in enumerate(rows):
        if n % 4 == 3:
            _mail(conn, enrollment_id, customer_id, None)  # held back by the cap: no answer
            continue
        sent = enrolled_at + timedelta(days=n % 3)
        _mail(conn, enrollment_id, customer_id, sent)
        if not held:
            emailed[enrollment_id] = (customer_id, sent, enrolled_at)
    certain = {"win-back": TrueEffect("win-back", 1.0, "always")}
    responder = Responder(seed=3, until=END, effects=certain)
    assert responder.respond(conn) == len(emailed)
    assert responder.respond(conn) == 0  # decided once: a second pass writes nothing
    orders = conn.execute(
        select(Order.external_id, Order.customer_id, Order.ordered_at, Order.amount)
    ).all()
    assert {o[0] for o in orders} == {f"{PREFIX}win-back:{e}" for e in emailed}
    for external_id, customer_id, ordered_at, amount in orders:
        wanted_customer, sent, enrolled_at = emailed[int(external_id.rsplit(":", 1)[1])]
        assert customer_id == wanted_customer
        assert sent <= _utc(ordered_at) < enrolled_at + timedelta(days=WINDOW_DAYS)
        assert amount == Decimal("60.00")  # no paid order of their own: the shop's fallback
    # one line each, at the order's amount, as every demo order has
    lines = conn.execute(
        select(OrderLine.order_id, OrderLine.line_no, OrderLine.unit_price, Order.amount).join(
            Order, Order.id == OrderLine.order_id
        )
    ).all()
    assert len(lines) == len(emailed)
    assert all(no == 1 and price == amount for _, no, price, amount in lines)


def test_the_draw_answers_about_the_stated_share(conn: Connection) -> None:
    rows = _enrolled(conn)
    for enrollment_id, customer_id, _, enrolled_at in rows:
        _mail(conn, enrollment_id, customer_id, enrolled_at)
    treated = sum(not held for _, _, held, _ in rows)
    half = {"win-back": TrueEffect("win-back", 0.5, "half")}
    answered = Responder(seed=5, until=END, effects=half).respond(conn)
    assert 0.25 * treated < answered < 0.75 * treated


def test_the_true_effect_counts_the_treated_the_email_could_move(conn: Connection) -> None:
    rows = _enrolled(conn)
    reachable = treated = 0
    span = timedelta(days=WINDOW_DAYS)
    for n, (enrollment_id, customer_id, held, enrolled_at) in enumerate(rows):
        mailed = n % 5 != 0
        late = n % 7 == 0  # the email went after the window closed: it moves nothing measured
        buys_anyway = n % 3 == 0
        if mailed:
            sent = enrolled_at + (span + timedelta(hours=1) if late else timedelta(hours=2))
            _mail(conn, enrollment_id, customer_id, sent)
        if buys_anyway:
            _order(conn, customer_id, enrolled_at + timedelta(days=4), f"own-{n}")
        # a response of its own is not "buying anyway"; an order outside the window is not either
        _order(conn, customer_id, enrolled_at + timedelta(days=2), f"{PREFIX}win-back:x{n}")
        _order(conn, customer_id, enrolled_at + span + timedelta(days=1), f"later-{n}")
        if not held:
            treated += 1
            reachable += mailed and not late and not buys_anyway
    found = true_effects(conn, END, WINDOW_DAYS)["win-back"]
    q = EFFECTS["win-back"].response_probability
    assert found["treated_measured"] == treated
    assert found["reachable_share"] == reachable / treated
    assert found["true_uplift"] == q * reachable / treated
    assert found["window_days"] == WINDOW_DAYS
    # enrollments whose window has not closed by the day measured are left out
    early = true_effects(conn, START + span - timedelta(seconds=1), WINDOW_DAYS)
    assert early["win-back"]["treated_measured"] == 0


def test_a_customer_the_truth_says_is_gone_answers_no_email(conn: Connection) -> None:
    from tenure.demo.responses import Lives

    rows = _enrolled(conn)
    treated = [(e, c, at) for e, c, held, at in rows if not held]
    for enrollment_id, customer_id, _, enrolled_at in rows:
        _mail(conn, enrollment_id, customer_id, enrolled_at + timedelta(hours=1))
    # the first treated customer left before the email and never came back; the second left
    # and came back before it
    (_, gone, at), (_, back, at2) = treated[0], treated[1]
    lives = Lives({gone: [(at - timedelta(days=5), None)], back: [(at2 - timedelta(days=9), at2)]})
    assert lives.gone(gone, at + timedelta(hours=1)) and not lives.gone(back, at2)
    certain = {"win-back": TrueEffect("win-back", 1.0, "always")}
    answered = Responder(seed=3, until=END, effects=certain, lives=lives).respond(conn)
    assert answered == len(treated) - 1
    buyers = set(conn.execute(select(Order.customer_id)).scalars())
    assert gone not in buyers and back in buyers
