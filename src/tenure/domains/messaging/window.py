"""The send window: when, on the customer's clock, marketing email may arrive.

Outside it (quiet hours, or a day it does not open on) a message is queued for the window's
next opening instead of now. Times are compared as instants, so a daylight-saving change only
moves where the local hours fall, never makes a window open twice or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SendWindow:
    """From ``start`` to ``end`` local time on ``days``; end ≤ start runs past midnight."""

    start: time
    end: time
    days: Sequence[str] = WEEKDAYS

    def _opening(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self.start, tzinfo=zone)
        closes_on = day + timedelta(days=1 if self.end <= self.start else 0)
        closes = datetime.combine(closes_on, self.end, tzinfo=zone)
        return opens, closes

    def next_moment(self, moment: datetime, timezone: str) -> datetime:
        """Return ``moment`` if the window is open then, else its next opening (same zone)."""
        zone = ZoneInfo(timezone)
        local = moment.astimezone(zone)
        # from yesterday: a window past midnight that opened yesterday may still be open
        for ahead in range(-1, 8):
            day = local.date() + timedelta(days=ahead)
            if WEEKDAYS[day.weekday()] not in self.days:
                continue
            opens, closes = self._opening(day, zone)
            if closes <= moment:
                continue
            return moment if opens <= moment else opens.astimezone(moment.tzinfo)
        raise AssertionError("a week always holds an opening")  # pragma: no cover
