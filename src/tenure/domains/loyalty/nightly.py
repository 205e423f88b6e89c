"""Loyalty's part of the scoring run: earn, review tiers, award milestones, as of its day.

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
from tenure.domains.loyalty import milestones, orders, tiers
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.service import book as load_book
from tenure.kit.timeutil import end_of_day


@dataclass
class Nightly:
    """What loyalty did in a run, per programme, and the events it gives the feed."""

    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[NewEvent] = field(default_factory=list)


def run_day(conn: Connection, day: date) -> Nightly:
    """Earn on new orders and refunds, expire, review tiers, award milestones: every programme."""
    result = Nightly()
    for key in repo.programme_keys(conn):
        book = load_book(conn, key)
        passed = orders.run(conn, book, end_of_day(day, book.programme.timezone))
        review = tiers.review(conn, book, day)
        result.events += tiers.events(book, key, review)
        awarded = milestones.award_day(conn, book, day)
        result.done[key] = {
            **passed.__dict__,
            "tier_changes": len(review.changes),
            "milestones": awarded,
        }
    return result
