"""The send window on the customer's clock: quiet hours, days, past midnight, and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time

from tenure.domains.messaging.window import SendWindow

DAYTIME = SendWindow(time(8), time(21))  # the default: every day 08:00–21:00


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_inside_the_window_a_message_goes_now_and_outside_it_waits_for_the_opening() -> None:
    assert DAYTIME.next_moment(_utc(2026, 12, 1, 9, 30), "UTC") == _utc(2026, 12, 1, 9, 30)
    assert DAYTIME.next_moment(_utc(2026, 12, 1, 7, 59), "UTC") == _utc(2026, 12, 1, 8)
    assert DAYTIME.next_moment(_utc(2026, 12, 1, 21), "UTC") == _utc(2026, 12, 2, 8)  # closed
    assert DAYTIME.next_moment(_utc(2026, 12, 1, 8), "UTC") == _utc(2026, 12, 1, 8)  # open


def test_a_customer_in_shanghai_keeps_shanghai_hours_while_the_business_is_in_utc() -> None:
    # 14:00 UTC is 22:00 in Shanghai: quiet until 08:00 there, which is midnight UTC
    afternoon = _utc(2026, 12, 1, 14)
    assert DAYTIME.next_moment(afternoon, "UTC") == afternoon
    assert DAYTIME.next_moment(afternoon, "Asia/Shanghai") == _utc(2026, 12, 2, 0)
    # 00:30 UTC is 08:30 in Shanghai: open there, while the UTC business sleeps
    early = _utc(2026, 12, 2, 0, 30)
    assert DAYTIME.next_moment(early, "Asia/Shanghai") == early
    assert DAYTIME.next_moment(early, "UTC") == _utc(2026, 12, 2, 8)


def test_the_opening_after_new_yorks_march_change_is_8_local_in_daylight_time() -> None:
    # Sat 7 March 2026 22:00 EST (03:00 UTC on the 8th); clocks spring forward at 02:00 on
    # Sunday the 8th, so Sunday's 08:00 is EDT (UTC-4): 12:00 UTC, not 13:00
    saturday_night = _utc(2026, 3, 8, 3)
    assert DAYTIME.next_moment(saturday_night, "America/New_York") == _utc(2026, 3, 8, 12)
    # the Friday before, still EST: 08:00 is 13:00 UTC
    assert DAYTIME.next_moment(_utc(2026, 3, 6, 3), "America/New_York") == _utc(2026, 3, 6, 13)
    # a window opening at 02:30 — an hour that does not exist that Sunday — opens once, at
    # 03:30 EDT (07:30 UTC), and the day after at 02:30 EDT (06:30 UTC)
    night = SendWindow(time(2, 30), time(6))
    assert night.next_moment(saturday_night, "America/New_York") == _utc(2026, 3, 8, 7, 30)
    assert night.next_moment(_utc(2026, 3, 8, 11), "America/New_York") == _utc(2026, 3, 9, 6, 30)


def test_a_window_past_midnight_belongs_to_the_day_it_opens() -> None:
    evenings = SendWindow(time(20), time(2), days=("mon",))
    # 2026-12-07 is a Monday: open from Monday 20:00 to Tuesday 02:00
    assert evenings.next_moment(_utc(2026, 12, 7, 19), "UTC") == _utc(2026, 12, 7, 20)
    assert evenings.next_moment(_utc(2026, 12, 7, 23), "UTC") == _utc(2026, 12, 7, 23)
    assert evenings.next_moment(_utc(2026, 12, 8, 1, 59), "UTC") == _utc(2026, 12, 8, 1, 59)
    # Tuesday 02:00 it closed, and Tuesday evening is not a window day: next Monday
    assert evenings.next_moment(_utc(2026, 12, 8, 2), "UTC") == _utc(2026, 12, 14, 20)
    assert evenings.next_moment(_utc(2026, 12, 8, 20), "UTC") == _utc(2026, 12, 14, 20)


def test_working_days_only_and_a_whole_day_window() -> None:
    weekdays = SendWindow(time(9), time(17), days=("mon", "tue", "wed", "thu", "fri"))
    friday_evening = _utc(2026, 12, 4, 18)  # a Friday
    assert weekdays.next_moment(friday_evening, "UTC") == _utc(2026, 12, 7, 9)  # Monday
    always = SendWindow(time(0), time(0))  # start = end: no quiet hours
    assert always.next_moment(_utc(2026, 12, 5, 3), "UTC") == _utc(2026, 12, 5, 3)
    weekday_all_day = SendWindow(time(0), time(0), days=("mon", "tue", "wed", "thu", "fri"))
    assert weekday_all_day.next_moment(_utc(2026, 12, 5, 3), "UTC") == _utc(2026, 12, 7)
