"""Loyalty's part of the scoring run: earn, review tiers, award milestones and referrals.

Runs in the scoring run's transaction after its stages are written, only when the run is
the latest (a back-test of a past day changes no one's points or tier). Every write has a
key or is decided from the day's state, so a second run of the same day changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from tenure.domains.events.feed import NewEvent
from tenure.domains.loyalty import milestones, orders, referrals, tiers
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.service import book as load_book
from tenure.kit.timeutil import end_of_day


@dataclass
class Nightly:
    """What loyalty did in a run, per programme, and the events it gives the feed."""

    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[NewEvent] = field(default_factory=list)


def run_day(conn: Connection, day: date) -> Nightly:
    """Earn on new orders and refunds, expire, review tiers, award milestones and referrals."""
    result = Nightly()
    for key in repo.programme_keys(conn):
        book = load_book(conn, key)
        until = end_of_day(day, book.programme.timezone)
        passed = orders.run(conn, book, until)
        review = tiers.review(conn, book, day)
        result.events += tiers.events(book, key, review)
        awarded = milestones.award_day(conn, book, day)
        referred = None if book.programme.referral is None else referrals.qualify(conn, book, until)
        result.done[key] = {
            **passed.__dict__,
            "tier_changes": len(review.changes),
            "milestones": awarded,
            **({"referrals_rewarded": referred.rewarded} if referred is not None else {}),
        }
    return result
