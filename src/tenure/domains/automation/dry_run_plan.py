"""What an enrollment would do, and when: a playbook's steps laid out as days after entry.

A dry run does not execute steps; it counts them. The steps are walked from the first, one
after the other: a wait adds its days, a wait for an event adds its longest wait (the timed-out
way: history cannot tell which email would have been opened), a branch and a split follow their
first way, and an exit ends the walk. Each email and task lands on the day it would have been
due; the enrollment stays in the playbook until its last step, or its goal's window, is over.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenure.domains.automation.definition import Playbook, Step


@dataclass(frozen=True)
class Action:
    """An email or a task ``offset`` days after entry."""

    offset: int
    kind: str  # "email" or "task"
    marketing: bool = False  # an email counted by the frequency cap and needing consent
    assignee: str = "owner"  # a task's: "owner", "role:<role>" or "team:<team>"
    fallback: str | None = None  # a task's role when the customer has no owner


@dataclass(frozen=True)
class Plan:
    """The actions of one enrollment and how many days it stays."""

    actions: tuple[Action, ...]
    days: int


def _next(playbook: Playbook, index: int, step: Step) -> int:
    ids = playbook.step_ids()
    target: str | None = None
    if step.branch is not None:
        target = step.branch.then
    elif step.split is not None:
        target = step.split[0].go
    elif step.wait_for is not None:
        target = step.wait_for.timed_out
    if target is None:
        return index + 1
    return ids.index(target)


def _action(step: Step, offset: int, kind: str) -> Action | None:
    if step.send_email is not None or step.send_survey is not None:
        email = step.send_email or step.send_survey
        assert email is not None  # noqa: S101
        return Action(offset, "email", marketing=email.category_in(kind) == "marketing")
    if step.create_task is not None:
        who = step.create_task.assignee
        assignee = "owner" if who.to == "owner" else f"{who.to}:{who.role or who.team}"
        fallback = who.fallback.value if who.fallback is not None else None
        return Action(offset, "task", assignee=assignee, fallback=fallback)
    return None


def plan_of(playbook: Playbook) -> Plan:
    """Return the playbook's actions by day after entry and its length in days."""
    actions: list[Action] = []
    offset, index, seen = 0, 0, set()
    while 0 <= index < len(playbook.steps) and index not in seen:  # a loop back ends the walk
        seen.add(index)
        step = playbook.steps[index]
        if step.exit is not None:
            break
        if step.wait is not None:
            offset += step.wait.days + (1 if step.wait.hours or step.wait.weekday else 0)
        elif step.wait_for is not None:
            offset += step.wait_for.days
        elif (action := _action(step, offset, playbook.kind)) is not None:
            actions.append(action)
        index = _next(playbook, index, step)
    goal_days = playbook.goal.within_days if playbook.goal is not None else 0
    return Plan(tuple(actions), max(offset, goal_days))
