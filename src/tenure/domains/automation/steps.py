"""Carry out due enrollments' steps, each internal effect exactly once.

A step's effect, its record and the enrollment's move commit in one transaction, so an
internal effect (a task, a field, a tag) happens exactly once.

A step's key is (enrollment, seq): ``step_runs`` refuses a second row with it, so even two
workers that both reached the same enrollment cannot both run its step — one of them fails
its savepoint and moves on. Emails and webhooks are queued in their outboxes in the same
transaction (exactly once); delivering them is the outboxes' work, at most once for SMTP and
at least once, with the step's key as its id, for webhooks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, exists, func, insert, select, update

from tenure.domains.automation.definition import (
    Assignee,
    AwardPoints,
    CreateTask,
    Playbook,
    Share,
    Step,
    Wait,
    Words,
    settable_mistakes,
)
from tenure.domains.automation.effects import Effects
from tenure.domains.automation.enrollment import version_of
from tenure.domains.automation.models import (
    Enrollment,
    EnrollmentStatus,
    PlaybookRecord,
    PlaybookStatus,
    StepRun,
)
from tenure.domains.events.models import Event, SystemEventType
from tenure.domains.loyalty import service as loyalty
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.surveys.models import SurveyFollowup
from tenure.domains.tasks import service as tasks
from tenure.domains.tasks.models import Task, TaskStatus
from tenure.domains.users.models import User
from tenure.kit import filters
from tenure.kit.errors import Conflict, NotFound

log = logging.getLogger(__name__)

CONDITION_FAILED = "condition no longer holds"  # the reason of an exit before a step
MAX_STEPS_PER_VISIT = 100  # a playbook that loops without waiting stops here
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Context:
    """What steps need to know of the business: its time zone and language."""

    timezone: str = "UTC"
    language: str = "en"
    # hands an outbox the email or webhook of a step: (conn, key, enrollment, step) -> detail
    send_email: Callable[[Connection, str, dict[str, Any], Step], dict[str, Any]] | None = None
    call_webhook: Callable[[Connection, str, dict[str, Any], Step], dict[str, Any]] | None = None
    send_survey: Callable[[Connection, str, dict[str, Any], Step], dict[str, Any]] | None = None


@dataclass
class Report:
    """What one pass did."""

    enrollments: int = 0
    steps: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class StepFailed(Exception):
    """A step that cannot run (no such user, no outbox …): the enrollment fails with why."""


def words(text: Words | None, language: str) -> str:
    """Return a bilingual text in ``language`` (or the other, when only that one is given)."""
    if text is None:
        return ""
    chosen = text.zh if language == "zh" else text.en
    return chosen or text.en or text.zh or ""


def wake_at(now: datetime, wait: Wait, timezone: str) -> datetime:
    """Return when a wait step ends: after days and hours, or at the next weekday and hour."""
    later = now + timedelta(days=wait.days, hours=wait.hours)
    if wait.weekday is None and wait.hour is None:
        return later
    zone = ZoneInfo(timezone)
    local = later.astimezone(zone)
    hour = wait.hour if wait.hour is not None else 9
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        if wait.weekday is not None and WEEKDAYS[day.weekday()] != wait.weekday:
            continue
        moment = datetime.combine(day, time(hour), tzinfo=zone)
        if moment >= local:
            return moment.astimezone(now.tzinfo)
    raise AssertionError("a week always holds the weekday")  # pragma: no cover


def goal_reached(
    conn: Connection, row: dict[str, Any], playbook: Playbook, now: datetime, effects: Effects
) -> bool:
    """Return whether an enrollment's goal has been reached since it began."""
    goal = playbook.goal
    if goal is None:
        return False
    since, until = row["enrolled_at"], min(now, row["goal_until"] or now)
    customer_id = row["customer_id"]
    if goal.purchase:
        return bool(
            conn.execute(
                select(
                    exists().where(
                        Order.customer_id == customer_id,
                        Order.status == OrderStatus.PAID.value,
                        Order.ordered_at > since,
                        Order.ordered_at <= until,
                    )
                )
            ).scalar()
        )
    if goal.event is not None:
        return bool(
            conn.execute(
                select(
                    exists().where(
                        Event.customer_id == customer_id,
                        Event.type == goal.event,
                        Event.occurred_at > since,
                        Event.occurred_at <= until,
                    )
                )
            ).scalar()
        )
    if goal.condition is not None:
        return filters.matches(goal.condition, effects.record(customer_id))
    return False


def _assignee(effects: Effects, customer_id: int, who: Assignee) -> int | None:
    """Return who gets a task, or None when nobody qualifies.

    The customer's owner, or the active member of a team or a role with the fewest open tasks
    (each new task raises a count: a round-robin by load), else the fallback role's.
    """
    if who.to == "owner":
        owner = effects.customer(customer_id).get("owner_id")
        if owner is not None:
            return int(owner)
    groups: list[Any] = []
    if who.to == "team" and who.team is not None:
        groups.append(User.team == who.team)
    if who.to == "role" and who.role is not None:
        groups.append(User.role == who.role.value)
    if who.fallback is not None:
        groups.append(User.role == who.fallback.value)
    if not groups:
        return None
    effects.flush()  # the batch's own new tasks count as open
    open_tasks = (
        select(func.count())
        .where(Task.assignee_id == User.id, Task.status == TaskStatus.OPEN.value)
        .scalar_subquery()
    )
    for group in groups:
        found = effects.conn.execute(
            select(User.id)
            .where(group, User.active.is_(True))
            .order_by(open_tasks, User.id)
            .limit(1)
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
    return None


def _routed_task(conn: Connection, enrollment_id: int) -> int | None:
    """Return the follow-up task routing made of the answer that enrolled, or None."""
    enrolled_by = conn.execute(
        select(Event.type, Event.properties)
        .join(Enrollment, Enrollment.event_id == Event.id)
        .where(Enrollment.id == enrollment_id)
    ).first()
    if enrolled_by is None or enrolled_by.type != SystemEventType.SURVEY_ANSWERED.value:
        return None
    answer_id = (enrolled_by.properties or {}).get("answer_id")
    if not isinstance(answer_id, int):
        return None
    task_id = conn.execute(
        select(SurveyFollowup.task_id).where(SurveyFollowup.answer_id == answer_id)
    ).scalar_one_or_none()
    return None if task_id is None else int(task_id)


def _create_task(
    effects: Effects,
    row: dict[str, Any],
    playbook: Playbook,
    spec: CreateTask,
    context: Context,
    now: datetime,
) -> dict[str, Any]:
    if spec.unless_routed:
        routed = _routed_task(effects.conn, int(row["id"]))
        if routed is not None:
            return {"task_id": None, "skipped": "routed", "followup_task_id": routed}
    due = now.astimezone(ZoneInfo(context.timezone)).date() + timedelta(days=spec.due_in_days)
    assignee = _assignee(effects, row["customer_id"], spec.assignee)
    new = tasks.NewTask(
        customer_id=row["customer_id"],
        title=words(spec.title, context.language),
        due_on=due,
        assignee_id=assignee,
        notes=words(spec.description, context.language)[:2000] or None,
        source=f"playbook:{playbook.name}",
        checklist=[words(item, context.language) for item in spec.checklist],
        requires_root_cause=spec.requires_root_cause,
    )
    detail = {"task_id": None, "assignee_id": assignee, "due_on": due.isoformat()}
    return effects.create_task(new, detail)


def _change_customer(effects: Effects, row: dict[str, Any], step: Step) -> dict[str, Any]:
    customer_id = row["customer_id"]
    if step.set_fields is not None:
        # a version published before the fields were checked is refused here instead
        mistakes = settable_mistakes(dict(step.set_fields))
        if mistakes:
            raise StepFailed(f"set_fields: {mistakes[0]}")
        return {"changed": effects.change(customer_id, dict(step.set_fields))}
    tags = list(effects.customer(customer_id).get("tags") or [])
    if step.add_tags is not None:
        tags += [t for t in step.add_tags if t not in tags]
    if step.remove_tags is not None:
        tags = [t for t in tags if t not in step.remove_tags]
    effects.change(customer_id, {"tags": tags})
    return {"tags": tags}


def _award_points(
    conn: Connection,
    key: str,
    row: dict[str, Any],
    playbook: Playbook,
    spec: AwardPoints,
    now: datetime,
) -> dict[str, Any]:
    # the step's key is the ledger's: a step run again after a crash credits nothing more
    try:
        book = loyalty.book(conn, spec.programme)
    except NotFound as exc:
        raise StepFailed(f"award_points: {exc.message}") from None
    credit = loyalty.Credit(
        row["customer_id"], spec.amount, key, now, f"playbook:{playbook.name}", spec.reason
    )
    try:
        posted = loyalty.award(conn, book, credit)
    except Conflict as exc:  # not a member of an opt-in programme: the step cannot award
        raise StepFailed(f"award_points: {exc.message}") from None
    return {"entry_id": posted.entry.id, "amount": spec.amount, "programme": spec.programme}


def split_way(enrollment_id: int, step_id: str, ways: list[Share]) -> str:
    """Return the way a split sends an enrollment: a stable draw from (enrollment, step).

    Stable, so the report knows the way of every enrollment, also of those that never
    reached the step (``variants``).
    """
    digest = hashlib.sha256(f"{enrollment_id}:{step_id}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    total = 0.0
    for way in ways:
        total += way.share
        if draw < total:
            return way.go
    return ways[-1].go


def _arrived(conn: Connection, row: dict[str, Any], types: list[str]) -> bool:
    return bool(
        conn.execute(
            select(
                exists().where(
                    Event.customer_id == row["customer_id"],
                    Event.type.in_(types),
                    Event.occurred_at >= row["waiting_since"],
                )
            )
        ).scalar()
    )


@dataclass
class Move:
    """How an enrollment changes after a visit."""

    values: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)


def visit(
    effects: Effects, row: dict[str, Any], playbook: Playbook, context: Context, now: datetime
) -> Move:
    """Run an enrollment's due steps until it waits or ends; return what changed.

    Internal effects wait in ``effects`` until the caller flushes them (see effects.py).
    """
    conn = effects.conn
    ids = playbook.step_ids()
    step_index, seq = int(row["step"]), int(row["seq"])
    waiting_since = row["waiting_since"]
    move = Move()

    def finish(status: EnrollmentStatus, reason: str) -> Move:
        move.values |= {
            "status": status.value,
            "reason": reason,
            "finished_at": now,
            "next_at": None,
            "step": step_index,
            "seq": seq,
            "waiting_since": None,
        }
        return move

    def ran(step_id: str, action: str, outcome: str, detail: dict[str, Any] | None) -> None:
        nonlocal seq
        move.runs.append(
            {
                "enrollment_id": row["id"],
                "seq": seq,
                "step_id": step_id,
                "action": action,
                "outcome": outcome,
                "detail": detail,
                "at": now,
            }
        )
        seq += 1

    for _ in range(MAX_STEPS_PER_VISIT):
        if goal_reached(conn, row, playbook, now, effects):
            return finish(EnrollmentStatus.CONVERTED, "goal")
        if row["holdout"] or step_index >= len(playbook.steps):
            goal_until = row["goal_until"]
            if goal_until is not None and now < goal_until:  # the goal's window is still open
                move.values |= {"step": step_index, "seq": seq, "next_at": goal_until}
                return move
            return finish(EnrollmentStatus.COMPLETED, "holdout" if row["holdout"] else "done")
        if playbook.enrollment.exit_when_condition_fails and playbook.conditions is not None:
            if not filters.matches(playbook.conditions, effects.record(row["customer_id"])):
                return finish(EnrollmentStatus.EXITED, CONDITION_FAILED)
        step, step_id = playbook.steps[step_index], ids[step_index]
        action = step.action
        go_to: str | None = None
        if step.wait is not None:
            ran(step_id, action, "waiting", None)
            move.values |= {
                "step": step_index + 1,
                "seq": seq,
                "next_at": wake_at(
                    now,
                    step.wait,
                    effects.customer(row["customer_id"]).get("timezone") or context.timezone,
                ),
            }
            return move
        if step.wait_for is not None:
            if waiting_since is None:
                until = now + timedelta(days=step.wait_for.days)
                move.values |= {
                    "step": step_index,
                    "seq": seq,
                    "waiting_since": now,
                    "next_at": until,
                }
                return move
            wait_row = {**row, "waiting_since": waiting_since}
            if _arrived(conn, wait_row, step.wait_for.types):
                ran(step_id, action, "arrived", None)
                go_to = step.wait_for.arrived
            elif now >= waiting_since + timedelta(days=step.wait_for.days):
                ran(step_id, action, "timed_out", None)
                go_to = step.wait_for.timed_out
            else:
                move.values |= {
                    "step": step_index,
                    "seq": seq,
                    "next_at": waiting_since + timedelta(days=step.wait_for.days),
                }
                return move
            waiting_since = None
            move.values["waiting_since"] = None
        elif step.branch is not None:
            holds = filters.matches(step.branch.if_, effects.record(row["customer_id"]))
            go_to = step.branch.then if holds else step.branch.else_
            ran(step_id, action, "then" if holds else "else", {"to": go_to})
        elif step.split is not None:
            go_to = split_way(row["id"], step_id, step.split)
            ran(step_id, action, "split", {"to": go_to})
        elif step.exit is not None:
            ran(step_id, action, "exit", None)
            step_index += 1
            return finish(EnrollmentStatus.EXITED, "exit step")
        else:
            key = f"enrollment:{row['id']}:step:{step_id}:{seq}"
            detail = _act(effects, key, row, playbook, step, context, now)
            ran(step_id, action, "done", detail)
        step_index = ids.index(go_to) if go_to is not None else step_index + 1
    return finish(EnrollmentStatus.FAILED, f"more than {MAX_STEPS_PER_VISIT} steps without a wait")


def _act(
    effects: Effects,
    key: str,
    row: dict[str, Any],
    playbook: Playbook,
    step: Step,
    context: Context,
    now: datetime,
) -> dict[str, Any]:
    if step.create_task is not None:
        return _create_task(effects, row, playbook, step.create_task, context, now)
    if step.set_fields is not None or step.add_tags is not None or step.remove_tags is not None:
        return _change_customer(effects, row, step)
    effects.flush()  # an email or a webhook reads the customer as the steps left them
    conn = effects.conn
    if step.send_email is not None:
        if context.send_email is None:
            raise StepFailed("send_email: no outbox is set up")
        mail = {
            **row,
            "playbook": playbook.name,
            "priority": playbook.priority,
            "category": step.send_email.category_in(playbook.kind),
        }
        return context.send_email(conn, key, mail, step)
    if step.send_survey is not None:
        if context.send_survey is None:
            raise StepFailed("send_survey: no survey outbox is set up")
        mail = {
            **row,
            "playbook": playbook.name,
            "priority": playbook.priority,
            "category": step.send_survey.category_in(playbook.kind),
        }
        return context.send_survey(conn, key, mail, step)
    if step.award_points is not None:
        return _award_points(conn, key, row, playbook, step.award_points, now)
    if step.webhook is not None:
        if context.call_webhook is None:
            raise StepFailed("webhook: no webhook outbox is set up")
        return context.call_webhook(conn, key, {**row, "playbook": playbook.name}, step)
    raise StepFailed(f"{step.action}: not a step this version can run")  # pragma: no cover


ROW = (
    Enrollment.id,
    Enrollment.playbook_id,
    Enrollment.version,
    Enrollment.customer_id,
    Enrollment.holdout,
    Enrollment.step,
    Enrollment.seq,
    Enrollment.waiting_since,
    Enrollment.enrolled_at,
    Enrollment.goal_until,
)


def run_due(conn: Connection, context: Context, now: datetime, limit: int = 200) -> Report:
    """Run the steps of up to ``limit`` due enrollments.

    The batch runs in one savepoint with its effects written set-wise (effects.py). If any
    enrollment of it fails, that savepoint is rolled back and the batch runs again one
    enrollment per savepoint, so the failing one fails alone and the others go on.
    The enrollments of a paused playbook are held: they stay due, and run once it resumes.
    """
    paused = select(PlaybookRecord.id).where(PlaybookRecord.status == PlaybookStatus.PAUSED.value)
    pick = (
        select(*ROW)
        .where(
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
            Enrollment.next_at <= now,
            Enrollment.playbook_id.not_in(paused),
        )
        .order_by(Enrollment.next_at, Enrollment.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":  # several workers pass over each other's rows
        pick = pick.with_for_update(skip_locked=True)
    rows = [dict(r) for r in conn.execute(pick).mappings()]
    report = Report(enrollments=len(rows))
    versions: dict[tuple[int, int], Playbook] = {}
    for row in rows:
        ref = (int(row["playbook_id"]), int(row["version"]))
        if ref not in versions:
            versions[ref] = version_of(conn, *ref)
        row["playbook"] = versions[ref]
    try:
        with conn.begin_nested():
            moves = _run(conn, rows, context, now)
    except Exception:  # noqa: BLE001 — one of them failed: find it, alone
        moves = []
        for row in rows:
            try:
                with conn.begin_nested():
                    moves += _run(conn, [row], context, now)
            except Exception as exc:
                _fail(conn, row, exc, now)
                report.failed += 1
    for move in moves:
        report.steps += len(move.runs)
        outcome = move.values.get("status", "active")
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
    return report


def _run(
    conn: Connection, rows: list[dict[str, Any]], context: Context, now: datetime
) -> list[Move]:
    """Visit ``rows``, then write their effects, step records and moves set-wise."""
    effects = Effects.for_customers(conn, (row["customer_id"] for row in rows), now)
    moves = [visit(effects, row, row["playbook"], context, now) for row in rows]
    effects.flush()
    runs = [run for move in moves for run in move.runs]
    if runs:
        conn.execute(insert(StepRun), runs)
    # one executemany per shape of move (a wait sets other columns than an ending)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row, move in zip(rows, moves, strict=True):
        by_columns.setdefault(tuple(sorted(move.values)), []).append(
            {**move.values, "_id": row["id"]}
        )
    for params in by_columns.values():  # the SET clause comes from the parameters' keys
        conn.execute(update(Enrollment).where(Enrollment.id == bindparam("_id")), params)
    return moves


def _fail(conn: Connection, row: dict[str, Any], exc: Exception, now: datetime) -> None:
    reason = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
    log.warning(
        "enrollment %s failed: %s", row["id"], reason, exc_info=not isinstance(exc, StepFailed)
    )
    conn.execute(
        update(Enrollment)
        .where(Enrollment.id == row["id"])
        .values(
            status=EnrollmentStatus.FAILED.value,
            reason=reason[:200],
            finished_at=now,
            next_at=None,
        )
    )
