"""Guard rails across playbooks on a frozen clock, on both databases: priority under the
frequency cap, the send window, and timed waits on the customer's own clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment
from tenure.domains.customers import changes
from tenure.domains.events.models import Event
from tenure.domains.messaging.models import Message
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import MessagingSettings, Settings
from tenure.storage.engine import write_transaction
from tenure.worker import playbooks

PERSON = Actor(None, "cli")
EVENING = datetime(2026, 5, 4, 22, tzinfo=UTC)  # a Monday, after the window closed (UTC)
ONE_A_WEEK = Settings(messaging=MessagingSettings(marketing_cap=1))
MAILER = """\
name: {name}
title: {{en: {name}}}
priority: {priority}
trigger: {{event: {{type: {event}}}}}
enrollment: {{holdout: 0}}
steps:
  - send_email: {{template: win-back-offer}}
"""


def _customer(engine: Engine, external_id: str, **fields: object) -> int:
    with write_transaction(engine) as conn:
        return changes.create_customer(
            conn,
            PERSON,
            {"external_id": external_id, "email": f"{external_id}@t.test", **fields},
        )


def _apply(engine: Engine, *texts: str) -> None:
    with write_transaction(engine) as conn:
        service.apply(conn, PERSON, [parse(t, f"p{n}.yaml") for n, t in enumerate(texts)])


def _event(engine: Engine, customer_id: int, kind: str, at: datetime) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            insert(Event).values(
                external_id=f"{kind}-{customer_id}",
                customer_id=customer_id,
                type=kind,
                occurred_at=at,
            )
        )


def _messages(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Message.source, Message.status, Message.reason, Message.next_attempt_at
            ).order_by(Message.id)
        )
        return [tuple(r) for r in rows]


def test_the_higher_priority_playbook_takes_the_capped_slot(store: Engine) -> None:
    clock = FrozenClock(EVENING)
    ann = _customer(store, "ann", email_consent=True)
    _apply(
        store,
        MAILER.format(name="newsletter", priority=10, event="browsed"),
        MAILER.format(name="save-cart", priority=90, event="cart_left"),
    )
    _event(store, ann, "browsed", EVENING)
    playbooks.tick(store, ONE_A_WEEK, clock)  # queued for 08:00 tomorrow: the window is shut
    _event(store, ann, "cart_left", EVENING)
    clock.advance(timedelta(minutes=30))
    playbooks.tick(store, ONE_A_WEEK, clock)
    morning = datetime(2026, 5, 5, 8, tzinfo=UTC)
    assert _messages(store) == [
        ("playbook:newsletter", "skipped", "displaced_by:playbook:save-cart", None),
        ("playbook:save-cart", "queued", None, morning),
    ]
    clock.set(morning)
    done = playbooks.tick(store, ONE_A_WEEK, clock)
    assert done.emails == {"sent": 1}
    assert _messages(store)[1][:2] == ("playbook:save-cart", "sent")


def test_equal_priorities_first_come_first_served_and_sent_mail_still_counts(
    store: Engine,
) -> None:
    clock = FrozenClock(EVENING)
    bo = _customer(store, "bo", email_consent=True)
    cy = _customer(store, "cy", email_consent=True)
    _apply(
        store,
        MAILER.format(name="first", priority=50, event="one"),
        MAILER.format(name="second", priority=50, event="two"),
        MAILER.format(name="urgent", priority=100, event="three"),
    )
    _event(store, bo, "one", EVENING)
    playbooks.tick(store, ONE_A_WEEK, clock)
    _event(store, bo, "two", EVENING)
    playbooks.tick(store, ONE_A_WEEK, clock)
    # cy's first email goes in the morning; the urgent one a day later finds it sent: capped
    _event(store, cy, "one", EVENING)
    playbooks.tick(store, ONE_A_WEEK, clock)
    clock.set(datetime(2026, 5, 5, 9, tzinfo=UTC))
    assert playbooks.tick(store, ONE_A_WEEK, clock).emails == {"sent": 2}  # bo's first, cy's
    _event(store, cy, "three", clock.now())
    playbooks.tick(store, ONE_A_WEEK, clock)
    assert [m[:3] for m in _messages(store)] == [
        ("playbook:first", "sent", None),
        ("playbook:second", "skipped", "frequency_cap"),
        ("playbook:first", "sent", None),
        ("playbook:urgent", "skipped", "frequency_cap"),
    ]


RECEIPTS = """\
name: receipts
title: {en: Receipts}
kind: service
trigger: {event: {type: paid}}
enrollment: {holdout: 0}
steps:
  - send_email: {template: thank-you}
  - send_email: {template: win-back-offer, category: marketing}
"""


def test_a_service_playbooks_mail_is_service_mail_unless_its_step_says_otherwise(
    store: Engine,
) -> None:
    clock = FrozenClock(EVENING)
    di = _customer(store, "di", email_consent=True)
    _apply(store, MAILER.format(name="newsletter", priority=90, event="browsed"), RECEIPTS)
    _event(store, di, "browsed", EVENING)  # fills the one marketing slot of the week
    _event(store, di, "paid", EVENING)
    playbooks.tick(store, ONE_A_WEEK, clock)
    with store.connect() as conn:
        rows = conn.execute(
            select(Message.template, Message.category, Message.status, Message.reason)
            .where(Message.source == "playbook:receipts")
            .order_by(Message.id)
        ).all()
    # the receipt goes at once in the quiet evening and is not capped; the step marked
    # marketing is both
    assert [tuple(r) for r in rows] == [
        ("thank-you", "service", "sent", None),
        ("win-back-offer", "marketing", "skipped", "frequency_cap"),
    ]


WEEKLY_CALL = """\
name: monday-call
title: {en: Monday call}
trigger: {event: {type: signed_up}}
enrollment: {holdout: 0}
steps:
  - wait: {weekday: mon, hour: 9}
  - add_tags: [called]
"""


def test_a_wait_until_monday_9_is_9_on_the_customers_clock(store: Engine) -> None:
    saturday = datetime(2026, 5, 2, 12, tzinfo=UTC)
    clock = FrozenClock(saturday)
    here = _customer(store, "here")  # no zone: the business's, UTC
    east = _customer(store, "east", timezone="Asia/Shanghai")
    west = _customer(store, "west", timezone="America/New_York")
    _apply(store, WEEKLY_CALL)
    for customer_id in (here, east, west):
        _event(store, customer_id, "signed_up", saturday)
    playbooks.tick(store, Settings(), clock)
    with store.connect() as conn:
        rows = conn.execute(select(Enrollment.customer_id, Enrollment.next_at))
        wakes = {customer_id: wake for customer_id, wake in rows}
    assert wakes == {
        here: datetime(2026, 5, 4, 9, tzinfo=UTC),
        east: datetime(2026, 5, 4, 1, tzinfo=UTC),  # 09:00 in Shanghai (UTC+8)
        west: datetime(2026, 5, 4, 13, tzinfo=UTC),  # 09:00 in New York (EDT, UTC-4)
    }


def test_a_wait_across_new_yorks_march_change(store: Engine) -> None:
    # Friday 6 March 2026, EST; clocks go forward on Sunday the 8th, so Monday 09:00 is EDT
    clock = FrozenClock(datetime(2026, 3, 6, 15, tzinfo=UTC))
    west = _customer(store, "west", timezone="America/New_York")
    _apply(store, WEEKLY_CALL)
    _event(store, west, "signed_up", clock.now())
    playbooks.tick(store, Settings(), clock)
    with store.connect() as conn:
        wake = conn.execute(select(Enrollment.next_at)).scalar_one()
    assert wake == datetime(2026, 3, 9, 13, tzinfo=UTC)  # not 14:00, as EST would have it
