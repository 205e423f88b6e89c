"""The figures of a dry run: entries per week, workload, collisions, the cap, the goal rate.

All of it is observation of what history would have held, not the playbook's effect: the
customers it would have enrolled bought (or not) without it. Only a holdout measures lift
(docs/experiments.md).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from datetime import date
from typing import Any

from tenure.domains.automation.dry_run_owners import NO_OWNER
from tenure.domains.automation.dry_run_plan import Action
from tenure.domains.automation.dry_run_replay import (
    Entry,
    Replay,
    Replayed,
    by_week,
    overlaps,
    week_of,
)


def _done(run: Replayed) -> Iterator[tuple[Entry, Action, int]]:
    """Yield every action a treated entry would have reached (before its goal was met)."""
    for entry in run.entries:
        if entry.holdout:
            continue
        for action in run.plan.actions:
            when = entry.day + action.offset
            if entry.goal_day is not None and when >= entry.goal_day:
                break
            yield entry, action, when


def _capped(replay: Replay) -> set[tuple[int, int, int]]:
    """Return the (customer, day, index) of the first playbook's emails the cap would stop.

    Every replayed playbook's consented marketing emails are counted, a customer's in order
    of day and then priority (a higher-priority email goes first on the same day).
    """
    consent = _consent(replay)
    sends: dict[int, list[tuple[int, int, int, int]]] = {}
    for number, run in enumerate(replay.runs):
        for index, (entry, action, when) in enumerate(_done(run)):
            if action.kind == "email" and action.marketing and consent.get(entry.customer_id):
                sends.setdefault(entry.customer_id, []).append(
                    (when, -run.playbook.priority, number, index)
                )
    capped: set[tuple[int, int, int]] = set()
    cap, days = replay.rules.marketing_cap, replay.rules.cap_days
    for cid, emails in sends.items():
        window: deque[int] = deque()
        for when, _, number, index in sorted(emails):
            while window and window[0] <= when - days:
                window.popleft()
            if len(window) >= cap:
                if number == 0:
                    capped.add((cid, when, index))
                continue
            window.append(when)
    return capped


def _consent(replay: Replay) -> dict[int, bool]:
    customers = replay.history.customers
    if "email_consent" not in customers.columns:
        return {}
    consent = customers["email_consent"].fill_null(False).to_list()
    return dict(zip(customers["customer_id"].to_list(), consent, strict=True))


def _owner(replay: Replay) -> dict[int, str]:
    customers = replay.history.customers
    if "owner_id" not in customers.columns:
        return {}
    names = replay.history.owners
    return {
        cid: names.get(owner, str(owner))
        for cid, owner in zip(customers["customer_id"], customers["owner_id"], strict=True)
        if owner is not None
    }


def _workload(replay: Replay) -> dict[str, Any]:
    run, consent, owners = replay.runs[0], _consent(replay), _owner(replay)
    capped = _capped(replay)
    emails: list[tuple[str, str]] = []
    tasks: list[tuple[str, str]] = []
    kept = Counter[str]()
    for index, (entry, action, when) in enumerate(_done(run)):
        cid, week = entry.customer_id, week_of(when)
        owner = owners.get(cid, NO_OWNER)
        if action.kind == "task":
            if action.assignee != "owner":
                owner = action.assignee
            elif owner == NO_OWNER and action.fallback:
                owner = f"role:{action.fallback}"
            tasks.append((owner, week))
            continue
        if action.marketing and not consent.get(cid):
            kept["no_consent"] += 1
        elif (cid, when, index) in capped:
            kept["frequency_cap"] += 1
        else:
            emails.append((owner, week))
    return {
        "emails": by_week(emails),
        "tasks": by_week(tasks),
        "emails_sent": len(emails),
        "tasks_created": len(tasks),
        "emails_not_sent": dict(kept),
    }


def _collisions(replay: Replay) -> list[dict[str, Any]]:
    target, out = replay.runs[0], []
    for other in replay.runs[1:]:
        spans = overlaps(other)
        both = sum(
            any(start <= entry.day <= until for start, until in spans.get(entry.customer_id, ()))
            for entry in target.entries
        )
        if both:
            out.append({"playbook": other.playbook.name, "customers": both})
    return sorted(out, key=lambda row: (-row["customers"], row["playbook"]))


def _goal(replay: Replay) -> dict[str, Any] | None:
    run = replay.runs[0]
    goal = run.playbook.goal
    if goal is None:
        return None
    # an entry is observed once its window is over, or its goal met, within history
    observed = [
        e
        for e in run.entries
        if e.goal_day is not None
        or (goal.condition is None and e.day + goal.within_days <= replay.end)
    ]

    def rate(entries: list[Entry]) -> dict[str, Any]:
        met = sum(e.goal_day is not None for e in entries)
        return {
            "observed": len(entries),
            "met": met,
            "rate": round(met / len(entries), 4) if entries else None,
        }

    return {
        "kind": "purchase" if goal.purchase else "event" if goal.event else "condition",
        "within_days": goal.within_days,
        "all": rate(observed),
        "treated": rate([e for e in observed if not e.holdout]),
        "holdout": rate([e for e in observed if e.holdout]),
        "causal": False,
    }


def figures(replay: Replay, first: date, last: date, not_replayed: list[str]) -> dict[str, Any]:
    """Return the dry run's figures for the first playbook of ``replay``."""
    run = replay.runs[0]
    weeks: dict[str, Counter[str]] = {}
    for entry in run.entries:
        tally = weeks.setdefault(week_of(entry.day), Counter())
        tally["entries"] += 1
        tally["holdout"] += entry.holdout
        tally["global_control"] += entry.global_control
    entered = len(run.entries)
    held = sum(e.holdout for e in run.entries)
    kept = run.kept_out
    return {
        "playbook": run.playbook.name,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": (last - first).days + 1,
        "weeks": [
            {"week": week, **{k: t[k] for k in ("entries", "holdout", "global_control")}}
            for week, t in sorted(weeks.items())
        ],
        "totals": {
            "set_off": kept["set_off"],
            "failed_conditions": kept["conditions"],
            "still_enrolled": kept["still_enrolled"],
            "enrolled_once": kept["enrolled_once"],
            "too_soon": kept["too_soon"],
            "entered": entered,
            "holdout": held,
            "global_control": sum(e.global_control for e in run.entries),
            "treated": entered - held,
        },
        "holdout": {
            "share": run.playbook.enrollment.holdout,
            "reached": round(held / entered, 4) if entered else None,
        },
        "workload": _workload(replay),
        "collisions": _collisions(replay),
        "frequency_cap": {"cap": replay.rules.marketing_cap, "days": replay.rules.cap_days},
        "goal": _goal(replay),
        "not_replayed": not_replayed,
        "observation": True,
    }
