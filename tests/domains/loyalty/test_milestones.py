"""Milestones: each awarded once per member (anniversaries and birthdays once a year)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import milestones, orders, programmes
from tenure.domains.loyalty.models import LoyaltyEntry
from tenure.kit.errors import InvalidInput
from tests.domains.loyalty.helpers import DAY0, make_book
from tests.factories import make_customer, make_order

MILESTONES = [
    {"key": "third", "kind": "nth_order", "n": 3, "points": 100},
    {"key": "big", "kind": "spend", "amount": 200, "points": 50},
    {"key": "anniv", "kind": "anniversary", "points": 30},
    {"key": "bday", "kind": "birthday", "points": 20},
]


def test_milestones_are_awarded_once(conn: Connection, session: Session) -> None:
    book = make_book(conn, milestones=MILESTONES)
    ann = make_customer(session)
    ann.birthday = date(1990, 1, 7)
    bob = make_customer(session)  # one order, no birthday: reaches nothing
    # ann: Jan 5 100.00, Jan 6 60.00, Jan 7 50.00 (her third, and 210.00 in all); bob Jan 5
    for n, amount in enumerate(("100.00", "60.00", "50.00")):
        make_order(session, customer=ann, amount=amount, ordered_at=DAY0 + timedelta(days=n))
    make_order(session, customer=bob, amount="500.00", ordered_at=DAY0)
    session.flush()
    day = DAY0.date() + timedelta(days=2)  # Jan 7 2026, ann's birthday
    orders.run(conn, book, DAY0 + timedelta(days=3))
    # Jan 6: bob's 500.00 is past 200.00; ann has two orders and 160.00
    assert milestones.award_day(conn, book, DAY0.date() + timedelta(days=1)) == {
        "third": 0,
        "big": 1,
        "anniv": 0,
        "bday": 0,
    }
    assert milestones.award_day(conn, book, day) == {"third": 1, "big": 1, "anniv": 0, "bday": 1}
    assert milestones.award_day(conn, book, day + timedelta(days=3)) == {
        "third": 0,
        "big": 0,
        "anniv": 0,
        "bday": 0,
    }
    # a year on: Jan 6 2027 is a day after the first order's anniversary; the birthday waits
    later = date(2027, 1, 6)
    assert milestones.award_day(conn, book, later) == {"third": 0, "big": 0, "anniv": 2, "bday": 0}
    assert milestones.award_day(conn, book, later + timedelta(days=1))["bday"] == 1
    keys = set(
        conn.scalars(select(LoyaltyEntry.key).where(LoyaltyEntry.rule.in_(["anniv", "bday"])))
    )
    assert keys == {
        f"milestone:anniv:{ann.id}:2027",
        f"milestone:anniv:{bob.id}:2027",
        f"milestone:bday:{ann.id}:2026",
        f"milestone:bday:{ann.id}:2027",
    }


def test_a_yearly_day_counts_within_a_week_and_not_in_its_own_year() -> None:
    first = date(2024, 2, 29)
    assert milestones.recent_yearly(first, date(2024, 2, 29), after_first=True) is None
    assert milestones.recent_yearly(first, date(2025, 2, 28), after_first=True) == 2025
    assert milestones.recent_yearly(first, date(2025, 3, 6), after_first=True) == 2025
    assert milestones.recent_yearly(first, date(2025, 3, 7), after_first=True) is None
    assert milestones.recent_yearly(first, date(2024, 2, 29), after_first=False) == 2024


def test_a_milestone_without_its_number_names_the_field() -> None:
    text = "key: s\nname: S\nmilestones:\n  - {key: third, kind: nth_order, points: 5}\n"
    with pytest.raises(InvalidInput, match=r"x.yaml, line 4: milestones.0: kind nth_order needs n"):
        programmes.parse(text, "x.yaml")
