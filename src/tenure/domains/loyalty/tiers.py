"""Tier reviews: every member placed in a tier as of a day, set-based, with history.

One grouped query gives every member's qualifying metric over the programme's window; the
decisions are plain arithmetic per member; the changes are written in a few statements and
each one is a ``tier_changed`` event for the feed (playbooks trigger on it).

For a member now in level c (or none) with metric m, as of day D:

* up: the highest level whose ``enter`` ≤ m, if it is above c (any number of steps);
* stay: m ≥ retain(c); or D is inside the tier's term (entered + ``term_months``);
  or m fell below retain(c) less than ``grace_days`` ago (the grace clock starts on the first
  review day below it after the term);
* down: otherwise, to the highest lower level whose retain ≤ m (no tier if none), at most
  one level with ``one_step_down``.

A review of the same day twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from tenure.domains.events.feed import NewEvent
from tenure.domains.events.models import SystemEventType
from tenure.domains.loyalty import tier_repository as repo
from tenure.domains.loyalty.definition import Tiers, TierWindow
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.periods import add_months
from tenure.kit.timeutil import end_of_day, start_of_day


@dataclass(frozen=True)
class TierChange:
    """One member's move at a review."""

    customer_id: int
    before: str | None
    after: str | None
    metric: Decimal
    reason: str  # enter (up) or down


@dataclass
class Review:
    """What a review did."""

    day: date
    members: int = 0
    changes: tuple[TierChange, ...] = ()


def window_start(tiers: Tiers, day: date, zone: str) -> datetime | None:
    """Return when the metric's window begins for a review of ``day`` (None: lifetime)."""
    if tiers.window == TierWindow.CALENDAR_YEAR:
        return start_of_day(date(day.year, 1, 1), zone)
    if tiers.window == TierWindow.ROLLING_12_MONTHS:
        try:
            back = day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            back = date(day.year - 1, 2, 28)
        return start_of_day(back + timedelta(days=1), zone)
    return None


def term_end(tiers: Tiers, entered: date) -> date:
    """Return the first day a tier entered on ``entered`` may be lost."""
    if tiers.term_months == 0:
        return entered
    first = add_months(entered.replace(day=1), tiers.term_months)
    last_day = (add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(entered.day, last_day))


def _down(tiers: Tiers, now: int, value: Decimal) -> int:
    lower = max((i for i in range(now) if tiers.levels[i].keep <= value), default=-1)
    return max(lower, now - 1) if tiers.one_step_down else lower


def decide(
    tiers: Tiers, day: date, value: Decimal, held: repo.Membership | None
) -> tuple[int, str | None]:
    """Return the member's level after the review and what happens to the grace clock.

    The second value is "start" or "stop" (the grace clock), or None.
    """
    now = -1 if held is None else tiers.index(held.tier)
    reached = max((i for i, t in enumerate(tiers.levels) if t.enter <= value), default=-1)
    if reached > now:
        return reached, None
    if held is None or now < 0:
        return now, None
    if value >= tiers.levels[now].keep:
        return now, "stop" if held.below_since is not None else None
    if day < term_end(tiers, held.entered_on):
        return now, None
    since = held.below_since or day
    if (day - since).days < tiers.grace_days:
        return now, "start" if held.below_since is None else None
    return _down(tiers, now, value), None


def review(conn: Connection, book: Book, day: date) -> Review:
    """Place every member of the programme in a tier as of ``day``; write what changed."""
    tiers = book.programme.tiers
    if tiers is None:
        return Review(day)
    zone = book.programme.timezone
    values = repo.metrics(
        conn, book.id, tiers.metric, window_start(tiers, day, zone), end_of_day(day, zone)
    )
    held = repo.current(conn, book.id)
    close: list[int] = []
    rows = []
    grace: dict[str, list[int]] = {"start": [], "stop": []}
    changes = []
    for customer in sorted(set(values) | set(held)):
        value = values.get(customer, Decimal(0))
        membership = held.get(customer)
        level, clock = decide(tiers, day, value, membership)
        if clock is not None and membership is not None:
            grace[clock].append(membership.id)
        before = None if membership is None else membership.tier
        after = None if level < 0 else tiers.levels[level].key
        if after == before:
            continue
        reason = "enter" if level > tiers.index(before) else "down"
        changes.append(TierChange(customer, before, after, value, reason))
        if membership is not None:
            close.append(membership.id)
        if after is not None:
            rows.append(
                {
                    "programme_id": book.id,
                    "customer_id": customer,
                    "tier": after,
                    "from_tier": before,
                    "entered_on": day,
                    "reason": reason,
                    "metric": value.quantize(Decimal("0.01")),
                }
            )
    repo.write(
        conn, day, close=close, open_rows=rows, grace_start=grace["start"], grace_end=grace["stop"]
    )
    return Review(day, len(values), tuple(changes))


def events(book: Book, key: str, done: Review) -> list[NewEvent]:
    """Return a review's changes as ``tier_changed`` events (dated at the end of its day)."""
    at = end_of_day(done.day, book.programme.timezone)
    return [
        NewEvent(
            key=f"loyalty:{key}:tier:{c.customer_id}:{done.day.isoformat()}",
            customer_id=c.customer_id,
            type=SystemEventType.TIER_CHANGED,
            occurred_at=at,
            properties={
                "programme": key,
                "from": c.before,
                "to": c.after,
                "reason": c.reason,
                "metric": str(c.metric),
            },
        )
        for c in done.changes
    ]
