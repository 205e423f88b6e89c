"""Triggers the calendar sets off, looked at once a business day: no activity, and dates.

No event says "nothing happened for 30 days", nor "it is their birthday": a playbook with such a
trigger looks, once per business day, for the customers who crossed the mark *that day* — the
ones whose last activity is exactly N days old, whose birthday, first-order anniversary or
contract renewal is ``days_before`` days ahead. Customers already past the mark when the
playbook was published are not enrolled (a playbook reacts from its publication on).

A worker that was down catches up: the days since the last one looked at (at most
``CATCH_UP_DAYS`` of them) are looked at together, each customer enrolled once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, select

from tenure.domains.automation.definition import DateReached, Inactive
from tenure.domains.automation.enrollment import Version, admit
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event, SystemEventType
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.subscriptions.models import Subscription
from tenure.kit.timeutil import start_of_day

CATCH_UP_DAYS = 31  # missed days looked at after the worker was down, before today
PERIOD_MONTHS = {"monthly": 1, "month": 1, "quarterly": 3, "annual": 12, "yearly": 12, "year": 12}


def _same_day_of_year(day: date, target: date) -> bool:
    if (day.month, day.day) == (target.month, target.day):
        return True
    # born on 29 February: celebrated on 28 February in the years without one
    leap_less = (day.month, day.day) == (2, 29) and (target.month, target.day) == (2, 28)
    return leap_less and not _is_leap(target.year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def went_quiet(conn: Connection, rule: Inactive, today: date, timezone: str) -> list[int]:
    """Return the customers whose last activity of ``rule.kinds`` is ``rule.days`` days old."""
    kinds = (
        Event.type.in_(rule.kinds)
        if rule.kinds
        else Event.type.not_in([kind.value for kind in SystemEventType])
    )
    low = start_of_day(today - timedelta(days=rule.days), timezone)
    high = low + timedelta(days=1)
    last = func.max(Event.occurred_at)
    rows = conn.execute(
        select(Event.customer_id)
        .where(kinds)
        .group_by(Event.customer_id)
        .having(last >= low, last < high)
    ).scalars()
    return [int(c) for c in rows]


def _renewals(conn: Connection, target: date) -> Iterable[int]:
    rows = conn.execute(
        select(
            Subscription.customer_id, Subscription.started_at, Subscription.billing_period
        ).where(Subscription.cancelled_at.is_(None))
    ).all()
    for customer_id, started, period in rows:
        months = PERIOD_MONTHS.get(str(period).lower())
        if months is None:
            continue
        start = started.date()
        elapsed = (target.year - start.year) * 12 + target.month - start.month
        if elapsed > 0 and elapsed % months == 0 and start.day == target.day:
            yield int(customer_id)


def dated(conn: Connection, rule: DateReached, today: date) -> list[int]:
    """Return the customers whose date of ``rule`` falls ``days_before`` days after today."""
    target = today + timedelta(days=rule.days_before)
    if rule.date == "birthday":
        rows = conn.execute(
            select(Customer.id, Customer.birthday).where(Customer.birthday.is_not(None))
        ).all()
        return [int(c) for c, born in rows if born is not None and _same_day_of_year(born, target)]
    if rule.date == "first_order_anniversary":
        first = func.min(Order.ordered_at)
        rows = conn.execute(
            select(Order.customer_id, first)
            .where(Order.status == OrderStatus.PAID.value)
            .group_by(Order.customer_id)
        ).all()
        return [
            int(c)
            for c, at in rows
            if at is not None
            and at.date().year < target.year
            and _same_day_of_year(at.date(), target)
        ]
    return sorted(set(_renewals(conn, target)))


def days_to_look_at(last: date | None, today: date) -> list[date]:
    """Return the days the calendar has not looked at, oldest first, up to today.

    ``last`` is the latest day looked at (None: never, so today only). A worker down for
    longer than ``CATCH_UP_DAYS`` catches up on the latest ones only.
    """
    if last is None or last >= today:
        return [today] if last is None else []
    first = max(last + timedelta(days=1), today - timedelta(days=CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def enroll_for_days(
    conn: Connection, version: Version, days: list[date], timezone: str, now: datetime
) -> int:
    """Enroll the customers the calendar set off on ``days`` for one playbook; return how many.

    The days' candidates are gathered first and admitted together, so a customer the
    calendar sets off on two of them (a quiet spell, then a birthday) is enrolled once.
    """
    candidates: dict[int, tuple[str, int | None]] = {}
    for day in days:
        for trigger in version.playbook.trigger:
            if trigger.inactive is not None:
                found = went_quiet(conn, trigger.inactive, day, timezone)
                kind = "inactive"
            elif trigger.date is not None:
                found = dated(conn, trigger.date, day)
                kind = "date"
            else:
                continue
            for customer_id in found:
                candidates.setdefault(customer_id, (kind, None))
    if not candidates:
        return 0
    return len(admit(conn, version, candidates, now))


def enroll_for_day(
    conn: Connection, version: Version, today: date, timezone: str, now: datetime
) -> int:
    """Enroll the customers the calendar sets off today for one playbook; return how many."""
    return enroll_for_days(conn, version, [today], timezone, now)


def is_calendar(version: Version) -> bool:
    """Return whether a playbook has a trigger the calendar sets off."""
    return any(t.inactive is not None or t.date is not None for t in version.playbook.trigger)
