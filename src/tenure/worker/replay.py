"""Play the worker over days gone by: scoring runs on some days, the playbooks every day.

``tenure demo`` uses it so that a newcomer's first look shows playbooks that have been at work
for a while: enrollments at every point of their journeys, tasks in the inbox, emails sent,
goals reached. Each day is ticked at the worker's daily hour on a frozen clock, as a worker
running all along would have; a run as of a day comes before the next day's tick (the daily
run at night, as of the day before).

Playbooks see the history as it stands at the end of the replay: an email opened after a
wait's time ran out still counts for it (``wait_for`` looks for events since the wait began).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from tenure.kit.clock import FrozenClock
from tenure.kit.settings import Settings
from tenure.worker.playbooks import BATCH, MAX_BATCHES, PlaybookTick, tick

MAX_TICKS_A_DAY = 5  # a day whose backlog outlasts this many full ticks goes on the next day


def add(total: PlaybookTick, one: PlaybookTick) -> None:
    """Add one tick's counts to ``total``."""
    total.enrolled += one.enrolled
    total.steps += one.steps
    total.failed += one.failed
    for mine, theirs in (
        (total.outcomes, one.outcomes),
        (total.emails, one.emails),
        (total.webhooks, one.webhooks),
    ):
        for key, count in theirs.items():
            mine[key] = mine.get(key, 0) + count


def replay(
    engine: Engine,
    settings: Settings,
    first: date,
    last: date,
    score: Callable[[date], Any],
    run_days: Iterable[date],
    hour: time = time(9),
    until: datetime | None = None,
    after_ticks: Callable[[date, datetime], Any] | None = None,
) -> PlaybookTick:
    """Score as of each of ``run_days`` and tick the playbooks each day after ``first``.

    A run as of day d is scored, then the ticks of d + 1 at ``hour`` (business time) see its
    stage changes. No tick goes past ``until`` (now, when the history ends today).
    ``after_ticks(d, moment)`` is called after each day's ticks (the demo's customers answer
    what the day sent). Returns what the playbooks did over the whole stretch.
    """
    zone = ZoneInfo(settings.business.timezone)
    runs = set(run_days)
    total = PlaybookTick()
    day = first
    while day <= last:
        if day in runs:
            score(day)
        moment = datetime.combine(day + timedelta(days=1), hour, tzinfo=zone)
        if until is not None and moment > until:
            moment = until
        clock = FrozenClock(moment)
        for _ in range(MAX_TICKS_A_DAY):
            done = tick(engine, settings, clock)
            add(total, done)
            if done.steps < BATCH * MAX_BATCHES:  # the day's due steps all ran
                break
        if after_ticks is not None:
            after_ticks(day, moment)
        day += timedelta(days=1)
    return total
