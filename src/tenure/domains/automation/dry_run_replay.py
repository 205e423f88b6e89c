"""Replay playbooks over history, day by day: who would have entered, and what followed.

Pure: frames and playbooks in, counts out. Each day, every replayed playbook's triggers are
checked against the day's scores and history (``dry_run_triggers``), then the live engine's
admission rules (``enrollment.admit``) in its order: conditions on the customer as of that day,
re-entry (still enrolled; enrolled once; enrolled again too soon), then the global control group
(marketing playbooks) and the holdout, drawn with the engine's own stable hashes. An admitted
customer's actions follow the playbook's plan (``dry_run_plan``) until its goal is met.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from tenure.analytics.features import EPOCH
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.dry_run_plan import Plan, plan_of
from tenure.domains.automation.dry_run_triggers import pair_of, set_off
from tenure.domains.automation.enrollment import in_global_control, in_holdout
from tenure.kit import filters

NEVER = 10**9


@dataclass(frozen=True)
class Rules:
    """The settings the live engine admits and sends by."""

    global_control: float = 0.0
    marketing_cap: int = 3
    cap_days: int = 7


@dataclass(frozen=True)
class History:
    """What the store holds, as day-number frames, and what each customer is like."""

    frames: Mapping[str, pl.DataFrame]
    customers: pl.DataFrame  # customer_id and the fields conditions name (owner_id, consent…)
    end: date  # the last day history holds: goal windows are observed up to here
    owners: Mapping[int, str] = field(default_factory=dict)  # user id → name


@dataclass
class Entry:
    """One customer who would have entered a playbook."""

    customer_id: int
    day: int
    trigger: str
    holdout: bool
    global_control: bool
    goal_day: int | None  # the day the goal was met (None: not met, or not observable)
    until: int  # the last day the enrollment would have lasted


@dataclass
class Replayed:
    """One playbook's replay: its entries and why candidates were kept out."""

    playbook: Playbook
    plan: Plan
    entries: list[Entry] = field(default_factory=list)
    kept_out: Counter[str] = field(default_factory=Counter)
    last: dict[int, Entry] = field(default_factory=dict)


def day_of(number: int) -> date:
    """Return the date of a day number."""
    return EPOCH + timedelta(days=number)


def _goal_days(history: History, playbook: Playbook) -> dict[int, list[int]]:
    """Return each customer's sorted days on which the goal's purchase or event happened."""
    goal = playbook.goal
    if goal is None or goal.condition is not None:
        return {}
    if goal.purchase:
        rows = history.frames["orders"].filter(pl.col("status") == "paid")
    else:
        rows = history.frames["events"].filter(pl.col("type") == goal.event)
    grouped = rows.group_by("customer_id").agg(pl.col("day").unique().sort())
    return dict(zip(grouped["customer_id"].to_list(), grouped["day"].to_list(), strict=True))


class Replay:
    """Walks the days for a set of playbooks; the first is the one asked about."""

    def __init__(self, playbooks: list[Playbook], history: History, rules: Rules) -> None:
        self.history, self.rules = history, rules
        self.runs = [Replayed(p, plan_of(p)) for p in playbooks]
        self.goals = [_goal_days(history, p) for p in playbooks]
        self.end = (history.end - EPOCH).days
        self.attributes = history.customers
        self.fields = set(self.attributes.columns)

    def _admitted(
        self,
        run: Replayed,
        goals: dict[int, list[int]],
        ids: list[int],
        day: int,
        triggers: dict[int, str],
    ) -> None:
        playbook, again = run.playbook, run.playbook.enrollment.again_after_days
        marketing = playbook.kind == "marketing"
        for cid in ids:
            last = run.last.get(cid)
            if last is not None and last.until >= day:
                run.kept_out["still_enrolled"] += 1
                continue
            if last is not None and again is None:
                run.kept_out["enrolled_once"] += 1
                continue
            if last is not None and again is not None and last.day > day - again:
                run.kept_out["too_soon"] += 1
                continue
            control = marketing and in_global_control(cid, self.rules.global_control)
            held = control or in_holdout(playbook.name, cid, playbook.enrollment.holdout)
            goal_day = self._goal_day(playbook, goals.get(cid), day)
            until = day + run.plan.days if goal_day is None else goal_day
            entry = Entry(cid, day, triggers[cid], held, control, goal_day, until)
            run.entries.append(entry)
            run.last[cid] = entry

    def _goal_day(self, playbook: Playbook, days: list[int] | None, day: int) -> int | None:
        goal = playbook.goal
        if goal is None or not days:
            return None
        # what happens after the enrollment (at the day's end), within the goal's window
        at = bisect.bisect_right(days, day)
        if at < len(days) and days[at] <= day + goal.within_days:
            return int(days[at])
        return None

    def day(self, number: int, pair: pl.DataFrame) -> None:
        """Replay one day: ``pair`` holds the day's scores beside the day before's."""
        frames = self.history.frames
        events = frames["events"].filter(pl.col("day") == number)
        surveys = frames["surveys"].filter(pl.col("day") == number)
        record: pl.DataFrame | None = None
        for run, goals in zip(self.runs, self.goals, strict=True):
            found = set_off(run.playbook, pair, events, surveys)
            if found.is_empty():
                continue
            run.kept_out["set_off"] += found.height
            conditions = run.playbook.conditions
            if conditions is not None:
                if record is None:
                    record = pair.join(self.attributes, on="customer_id", how="left")
                kept = found.join(
                    record.filter(filters.to_polars(conditions, fields=set(record.columns))),
                    on="customer_id",
                    how="semi",
                )
                run.kept_out["conditions"] += found.height - kept.height
                found = kept
            goal_met = self._met_at_entry(run.playbook, found, pair)
            triggers = dict(
                zip(found["customer_id"].to_list(), found["trigger"].to_list(), strict=True)
            )
            self._admitted(run, goals, found["customer_id"].to_list(), number, triggers)
            for cid in goal_met:  # the first step finds the goal reached: converted, no step
                entry = run.last[cid]
                if entry.day == number:
                    entry.goal_day, entry.until = number, number

    def _met_at_entry(
        self, playbook: Playbook, found: pl.DataFrame, pair: pl.DataFrame
    ) -> set[int]:
        goal = playbook.goal
        if goal is None or goal.condition is None or found.is_empty():
            return set()
        record = found.join(pair, on="customer_id").join(
            self.attributes, on="customer_id", how="left"
        )
        met = record.filter(filters.to_polars(goal.condition, fields=set(record.columns)))
        return set(met["customer_id"].to_list())


def walk(
    replay: Replay,
    scores: Iterable[tuple[date, pl.DataFrame]],
    first: date,
    progress: Callable[[date], None] | None = None,
) -> None:
    """Feed the replay every day's scores; the days before ``first`` only set 'yesterday'."""
    before: pl.DataFrame | None = None
    for day, today in scores:
        if day >= first:
            replay.day((day - EPOCH).days, pair_of(before, today))
        before = today
        if progress is not None:
            progress(day)


def week_of(number: int) -> str:
    """Return the Monday of a day number's week, as an ISO date."""
    day = day_of(number)
    return (day - timedelta(days=day.weekday())).isoformat()


def by_week(counts: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Return (owner, week) counts as sorted rows."""
    tally: Counter[tuple[str, str]] = Counter(counts)
    return [
        {"owner": owner, "week": week, "count": n} for (owner, week), n in sorted(tally.items())
    ]


def overlaps(run: Replayed) -> dict[int, list[tuple[int, int]]]:
    """Return each customer's (entry, last day) spans in a replay."""
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for entry in run.entries:
        spans[entry.customer_id].append((entry.day, entry.until))
    return spans
