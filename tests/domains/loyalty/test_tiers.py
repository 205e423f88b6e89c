"""Tier reviews: a hand-made timeline of members going up, holding on in grace, and down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import nightly, programmes, service, tiers
from tenure.domains.loyalty import tier_repository as tier_repo
from tenure.domains.loyalty.definition import Tiers
from tenure.domains.loyalty.ledger import Book
from tenure.domains.orders.models import Order
from tenure.kit.errors import InvalidInput
from tests.domains.loyalty.helpers import DAY0, make_book, member
from tests.factories import make_customer, make_order

LEVELS = [
    {"key": "silver", "name": "Silver", "enter": 100, "retain": 80},
    {"key": "gold", "name": "Gold", "enter": 300, "retain": 250},
]
TIERS = {"window": "rolling_12_months", "grace_days": 10, "one_step_down": True, "levels": LEVELS}


def _give(conn: Connection, book: Book, who: int, amount: int, at: datetime) -> None:
    service.award(conn, book, service.Credit(who, amount, f"gift:{who}:{at.isoformat()}", at))


def _moves(done: tiers.Review) -> dict[int, tuple[str | None, str | None]]:
    return {c.customer_id: (c.before, c.after) for c in done.changes}


def test_a_year_of_reviews(conn: Connection, session: Session) -> None:
    book = make_book(conn, tiers=TIERS)
    ann, bob, cat = member(session), member(session), member(session)
    _give(conn, book, ann, 350, DAY0)  # ann: straight to gold (past silver)
    _give(conn, book, bob, 120, DAY0)  # bob: silver
    _give(conn, book, cat, 50, DAY0)  # cat: below every level
    day0 = DAY0.date()
    first = tiers.review(conn, book, day0)
    assert _moves(first) == {ann: (None, "gold"), bob: (None, "silver")}
    assert first.members == 3
    assert tiers.review(conn, book, day0).changes == ()  # the same day again: nothing
    # a year on, the window no longer holds DAY0: both fall below retain; grace starts
    year = day0.replace(year=2027)
    assert tiers.review(conn, book, year).changes == ()
    assert tiers.review(conn, book, year + timedelta(days=9)).changes == ()  # 9 < 10 days
    # grace is over: ann drops one level only, bob leaves the tiers
    down = tiers.review(conn, book, year + timedelta(days=10))
    assert _moves(down) == {ann: ("gold", "silver"), bob: ("silver", None)}
    assert {c.reason for c in down.changes} == {"down"}
    assert tier_repo.tiers_of(conn, book.id) == {ann: "silver"}
    history = tier_repo.history(conn, book.id, ann)
    assert [(h["tier"], h["from_tier"], h["ended_on"]) for h in history] == [
        ("silver", "gold", None),
        ("gold", None, year + timedelta(days=10)),
    ]
    # back above silver's retain (not its enter): the grace clock of the new tier never starts
    _give(conn, book, ann, 90, datetime.combine(year + timedelta(days=11), DAY0.timetz()))
    assert tiers.review(conn, book, year + timedelta(days=11)).changes == ()
    events = tiers.events(book, "stars", down)
    assert {(e.customer_id, e.properties["to"]) for e in events if e.properties} == {
        (ann, "silver"),
        (bob, None),
    }
    assert len({e.key for e in events}) == 2


def test_a_term_holds_a_tier_and_grace_waits_after_it() -> None:
    rules = Tiers.model_validate({**TIERS, "term_months": 1, "grace_days": 0})
    held = tier_repo.Membership(1, 1, "gold", date(2026, 1, 31), None)
    assert tiers.term_end(rules, date(2026, 1, 31)) == date(2026, 2, 28)
    assert tiers.decide(rules, date(2026, 2, 27), Decimal(0), held) == (1, None)
    assert tiers.decide(rules, date(2026, 2, 28), Decimal(0), held) == (0, None)
    free = Tiers.model_validate({**TIERS, "grace_days": 0, "one_step_down": False})
    assert tiers.decide(free, date(2026, 3, 1), Decimal(0), held) == (-1, None)
    assert tiers.decide(free, date(2026, 3, 1), Decimal(80), held) == (0, None)


def test_spend_in_the_calendar_year_against_a_plain_sum(conn: Connection, session: Session) -> None:
    book = make_book(conn, tiers={"metric": "spend", "window": "calendar_year", "levels": LEVELS})
    who = make_customer(session)
    # 2025's order does not count in 2026; the refunded one never does
    for amount, at, status in (
        ("500.00", datetime(2025, 12, 31, 23, tzinfo=UTC), "paid"),
        ("60.00", DAY0, "paid"),
        ("45.50", DAY0 + timedelta(days=1), "paid"),
        ("999.00", DAY0, "refunded"),
    ):
        make_order(session, customer=who, amount=amount, ordered_at=at, status=status)
    session.flush()
    service.award(conn, book, service.Credit(who.id, 1, "open", DAY0))  # makes a member
    day = (DAY0 + timedelta(days=2)).date()
    start = tiers.window_start(book.programme.tiers, day, "UTC")  # type: ignore[arg-type]
    plain = conn.execute(
        select(func.sum(Order.amount)).where(
            Order.customer_id == who.id, Order.status == "paid", Order.ordered_at >= start
        )
    ).scalar_one()
    assert plain == Decimal("105.50")
    done = tiers.review(conn, book, day)
    assert [(c.after, c.metric) for c in done.changes] == [("silver", plain)]


def test_nightly_earns_with_the_tier_multiplier_and_emits_events(
    conn: Connection, session: Session
) -> None:
    make_book(
        conn,
        earn=[{"key": "base", "per_unit": 1, "multipliers": {"gold": 2}}],
        tiers={"levels": LEVELS},
    )
    who = make_customer(session)
    make_order(session, customer=who, amount="300.00", ordered_at=DAY0)
    session.flush()
    first = nightly.run_day(conn, DAY0.date())
    assert [e.properties for e in first.events] == [
        {"programme": "stars", "from": None, "to": "gold", "reason": "enter", "metric": "300"}
    ]
    make_order(session, customer=who, amount="10.00", ordered_at=DAY0 + timedelta(days=1))
    session.flush()
    second = nightly.run_day(conn, (DAY0 + timedelta(days=1)).date())
    assert second.done["stars"]["points"] == 20  # gold earns double
    assert second.events == []


def test_tier_mistakes_name_the_line_and_field() -> None:
    text = (
        "key: s\nname: S\nearn:\n  - {key: a, per_order: 1}\ntiers:\n  levels:\n"
        "    - {key: gold, name: Gold, enter: 300}\n"
        "    - {key: silver, name: Silver, enter: 100, retain: 200}\n"
    )
    with pytest.raises(InvalidInput) as caught:
        programmes.parse(text, "x.yaml")
    assert "x.yaml, line 8: tiers.levels.1: retain (200) is at most enter (100)" in str(
        caught.value
    )
    text = text.replace("retain: 200", "retain: 50")
    with pytest.raises(InvalidInput, match=r"x.yaml, line 6: tiers: levels\[1\] \(silver\)"):
        programmes.parse(text, "x.yaml")
    bad = "key: s\nname: S\nearn:\n  - {key: a, per_order: 1, multipliers: {vip: 2}}\n"
    with pytest.raises(InvalidInput, match="multipliers name no tier: vip"):
        programmes.parse(bad + "tiers:\n  levels: [{key: gold, name: G, enter: 1}]\n", "x.yaml")


def test_the_scoring_run_earns_reviews_tiers_and_feeds_tier_changed(
    conn: Connection, session: Session
) -> None:
    from tenure.domains.events.models import Event
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.settings import Settings

    make_book(conn, tiers={"levels": LEVELS})
    who = make_customer(session)
    make_order(session, customer=who, amount="150.00", ordered_at=DAY0)
    session.flush()
    result = run_scoring(conn, (DAY0 + timedelta(days=1)).date(), Settings())
    assert not result.reused
    found = conn.execute(
        select(Event.customer_id, Event.source, Event.properties).where(
            Event.type == "tier_changed"
        )
    ).all()
    assert [(c, s, p["to"]) for c, s, p in found] == [(who.id, "run", "silver")]


def test_a_playbook_triggers_on_a_tier_change() -> None:
    from tenure.domains.automation.definition import Trigger
    from tenure.domains.automation.triggers import _sets_off
    from tenure.domains.events.feed import FeedEvent

    trigger = Trigger.model_validate({"tier_changed": {"to": ["gold"], "direction": "up"}})
    props = {"programme": "stars", "from": "silver", "to": "gold", "reason": "enter"}

    def event(properties: dict[str, str]) -> FeedEvent:
        return FeedEvent(1, 1, 1, "tier_changed", DAY0, "run", properties)

    assert trigger.tier_changed is not None
    assert _sets_off(trigger, event(props), props)
    down = props | {"to": "silver", "reason": "down"}
    assert not _sets_off(trigger, event(down), down)
