"""Time helpers: the store keeps timezone-aware UTC; a business time zone decides what a day is."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def start_of_day(day: date, tz_name: str) -> datetime:
    """Return the UTC instant at which ``day`` begins in the business time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def end_of_day(day: date, tz_name: str) -> datetime:
    """Return the last second of ``day`` in the business time zone, in UTC."""
    return start_of_day(day + timedelta(days=1), tz_name) - timedelta(seconds=1)


def business_today(tz_name: str) -> date:
    """Return today's date in the business time zone."""
    return datetime.now(ZoneInfo(tz_name)).date()
