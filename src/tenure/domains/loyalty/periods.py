"""Calendar arithmetic of a programme, in its time zone: days, months and period ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tenure.domains.loyalty.definition import Expiry, ExpiryPolicy, Programme

MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _first_of(day: date, months: int) -> date:
    """Return the first day of the ``months``-long period (counted from January) holding ``day``."""
    index = (day.year * 12 + day.month - 1) // months * months
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _start(day: date, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))


def day_bounds(at: datetime, zone: str) -> tuple[datetime, datetime]:
    """Return the start and end of the local day holding ``at``."""
    day = at.astimezone(ZoneInfo(zone)).date()
    return _start(day, zone), _start(day + timedelta(days=1), zone)


def month_bounds(at: datetime, zone: str) -> tuple[datetime, datetime]:
    """Return the start and end of the local calendar month holding ``at``."""
    first = _first_of(at.astimezone(ZoneInfo(zone)).date(), 1)
    return _start(first, zone), _start(add_months(first, 1), zone)


def lot_expiry(programme: Programme, available_at: datetime) -> datetime | None:
    """Return when a lot spendable from ``available_at`` expires (None: not on a date)."""
    expiry: Expiry = programme.expiry
    if expiry.policy == ExpiryPolicy.LOT_DAYS and expiry.days is not None:
        return available_at + timedelta(days=expiry.days)
    if expiry.policy == ExpiryPolicy.END_OF_PERIOD and expiry.period is not None:
        months = MONTHS[expiry.period]
        local = available_at.astimezone(ZoneInfo(programme.timezone)).date()
        end = add_months(_first_of(local, months), months * (1 + expiry.after))
        return _start(end, programme.timezone)
    return None  # none, or inactivity (which expires whole accounts, not lots)
