"""Create, assign, list and complete tasks; every change goes to the audit log.

A task belongs to a customer and by default to the customer's owner. "My tasks" splits a
user's open tasks into overdue, due today and later, by the business day the caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tenure.domains.audit import service as audit
from tenure.domains.customers.models import Customer
from tenure.domains.customers.reach import Owners, owned
from tenure.domains.events import feed
from tenure.domains.events.models import Event, EventSource, SystemEventType
from tenure.domains.tasks.models import RootCause, Task, TaskStatus
from tenure.domains.users.models import User
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tenure.kit.timeutil import as_utc, utcnow
from tenure.storage.rows import plain_row, plain_rows

WHEN = ("overdue", "today", "later", "undated")  # the `due` filter of an open-task list
FIELDS = ("title", "notes", "due_on", "assignee_id")  # what an update may change
ROOT_CAUSES = tuple(c.value for c in RootCause)


def _active_user(conn: Connection, user_id: int) -> None:
    found = conn.execute(select(User.active).where(User.id == user_id)).scalar_one_or_none()
    if not found:
        raise InvalidInput(f"assignee_id: no active user with id {user_id}")


def _title(title: str | None) -> str:
    title = (title or "").strip()  # a title sent as null is no title (PATCH may send one)
    if not title:
        raise InvalidInput("title: a task needs a title, e.g. “Call about the renewal”")
    return title[:200]


@dataclass(frozen=True)
class NewTask:
    """A task to create: for a customer, assigned to ``assignee_id`` or else their owner."""

    customer_id: int
    title: str
    due_on: date | None = None
    assignee_id: int | None = None
    notes: str | None = None
    source: str = "person"
    checklist: list[str] = field(default_factory=list)  # the steps to tick off, in order
    requires_root_cause: bool = False  # completing it needs product / service / price / other


def create_task(
    conn: Connection,
    actor: audit.Actor,
    *,
    customer_id: int,
    title: str,
    due_on: date | None = None,
    assignee_id: int | None = None,
    notes: str | None = None,
    source: str = "person",
    checklist: list[str] | None = None,
    requires_root_cause: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Create an open task for a customer, assigned to ``assignee_id`` or else their owner.

    ``checklist``: the steps to tick off, in order; ``requires_root_cause``: completing the
    task needs a root cause (product, service, price or other).
    """
    new = NewTask(
        customer_id,
        title,
        due_on,
        assignee_id,
        notes,
        source,
        checklist=list(checklist or []),
        requires_root_cause=requires_root_cause,
    )
    [task_id] = create_tasks(conn, actor, [new], now)
    return get_task(conn, task_id)


def create_tasks(
    conn: Connection, actor: audit.Actor, new: list[NewTask], now: datetime | None = None
) -> list[int]:
    """Create open tasks set-wise (a playbook's batch); return their ids in the given order.

    The same checks as one at a time — the customer exists, the assignee is an active user —
    read in one query each, then one insert and one audit write for the lot. ``now``: the
    caller's clock (a worker replaying past days dates its tasks on those days, else a task
    made "on" a day in the demo's history says it was created today).
    """
    if not new:
        return []
    customer_ids = {t.customer_id for t in new}
    owners = {
        int(customer_id): owner_id
        for customer_id, owner_id in conn.execute(
            select(Customer.id, Customer.owner_id).where(Customer.id.in_(customer_ids))
        )
    }
    for task in new:
        if task.customer_id not in owners:
            raise NotFound(f"no customer with id {task.customer_id}")
    assignees = [t.assignee_id if t.assignee_id is not None else owners[t.customer_id] for t in new]
    wanted = {a for a in assignees if a is not None}
    active = set(
        conn.execute(select(User.id).where(User.id.in_(wanted), User.active.is_(True))).scalars()
    )
    for assignee in sorted(wanted - active):
        raise InvalidInput(f"assignee_id: no active user with id {assignee}")
    now = now or utcnow()
    rows = [
        {
            "customer_id": task.customer_id,
            "assignee_id": assignee,
            "created_by_id": actor.user_id,
            "title": _title(task.title),
            "notes": task.notes,
            "due_on": task.due_on,
            "status": TaskStatus.OPEN.value,
            "source": task.source,
            "checklist": [{"text": t[:300], "done": False} for t in task.checklist if t.strip()]
            or None,
            "requires_root_cause": task.requires_root_cause,
            "created_at": now,
            "updated_at": now,
        }
        for task, assignee in zip(new, assignees, strict=True)
    ]
    ids = [
        int(i)
        for i in conn.execute(
            insert(Task).returning(Task.id, sort_by_parameter_order=True), rows
        ).scalars()
    ]
    audit.record_many(
        conn,
        actor,
        "task.create",
        "tasks",
        [(i, None, row) for i, row in zip(ids, rows, strict=True)],
    )
    return ids


def get_task(conn: Connection, task_id: int) -> dict[str, Any]:
    """Return one task with its customer's and assignee's names."""
    rows, _ = list_tasks(conn, task_id=task_id)
    if not rows:
        raise NotFound(f"no task with id {task_id}")
    return rows[0]


def _raw(conn: Connection, task_id: int) -> dict[str, Any]:
    row = conn.execute(select(Task.__table__).where(Task.id == task_id)).mappings().first()
    if row is None:
        raise NotFound(f"no task with id {task_id}")
    return plain_row(row)


def update_task(
    conn: Connection, actor: audit.Actor, task_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change an open task's title, notes, due day or assignee."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{', '.join(unknown)}: not a field a task update may change")
    old = _raw(conn, task_id)
    if old["status"] != TaskStatus.OPEN.value:
        raise Conflict(f"task {task_id} is done; a completed task is not changed")
    if "title" in changes:
        changes["title"] = _title(changes["title"])
    if changes.get("assignee_id") is not None:
        _active_user(conn, changes["assignee_id"])
    before, after = audit.changed(old, changes)
    if after:
        conn.execute(update(Task).where(Task.id == task_id).values(**after, updated_at=utcnow()))
        audit.record(conn, actor, "task.update", "tasks", task_id, before=before, after=after)
    return get_task(conn, task_id)


def complete_task(
    conn: Connection,
    actor: audit.Actor,
    task_id: int,
    outcome: str,
    root_cause: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Mark an open task done with what came of it (e.g. “renewed for a year”).

    A task that requires a root cause is completed only with one (product, service, price
    or other); it goes into the audit and the ``task_completed`` event, for triggers.
    ``now``: when it was done (default: now).
    """
    outcome = outcome.strip()
    if not outcome:
        raise InvalidInput("outcome: say what came of it, e.g. “Called; renewing next week”")
    root_cause = (root_cause or "").strip() or None
    if root_cause is not None and root_cause not in ROOT_CAUSES:
        raise InvalidInput(f"root_cause: one of {', '.join(ROOT_CAUSES)}, not {root_cause!r}")
    old = _raw(conn, task_id)
    if old["status"] == TaskStatus.DONE.value:
        raise Conflict(f"task {task_id} was completed already")
    if old["requires_root_cause"] and root_cause is None:
        raise InvalidInput(f"root_cause: task {task_id} asks why; one of {', '.join(ROOT_CAUSES)}")
    now = utcnow() if now is None else as_utc(now)
    after = {
        "status": TaskStatus.DONE.value,
        "outcome": outcome[:500],
        "completed_at": now,
        "root_cause": root_cause,
    }
    conn.execute(update(Task).where(Task.id == task_id).values(**after, updated_at=now))
    audit.record(
        conn,
        actor,
        "task.complete",
        "tasks",
        task_id,
        before={"status": old["status"]},
        after=after,
    )
    # on the customer's timeline, and for playbooks that wait on a task's outcome
    completed = feed.NewEvent(
        key=_completion_key(conn, task_id),
        customer_id=int(old["customer_id"]),
        type=SystemEventType.TASK_COMPLETED,
        occurred_at=now,
        properties={
            "task_id": task_id,
            "title": old["title"],
            "outcome": after["outcome"],
            "root_cause": root_cause,
            "task_source": old["source"],
            "completed_by": actor.user_id,
        },
    )
    feed.append(conn, EventSource.PERSON, [completed])
    return get_task(conn, task_id)


def _completion_key(conn: Connection, task_id: int) -> str:
    """Return the feed key of a task's completion: its first, then one more per reopening.

    A reopened task completed again is a new event (a playbook may wait for it), never the
    first one's key a second time (the feed refuses a key twice).
    """
    key = f"task:{task_id}:completed"
    done_before = conn.execute(
        select(func.count())
        .select_from(Event)
        .where((Event.external_id == key) | Event.external_id.like(f"{key}:%"))
    ).scalar_one()
    return key if not done_before else f"{key}:{int(done_before) + 1}"


def reopen_task(conn: Connection, actor: audit.Actor, task_id: int, why: str) -> dict[str, Any]:
    """Open a completed task again (its outcome and root cause cleared), saying why; audited."""
    old = _raw(conn, task_id)
    if old["status"] == TaskStatus.OPEN.value:
        return get_task(conn, task_id)
    after = {"status": TaskStatus.OPEN.value, "outcome": None, "completed_at": None}
    after["root_cause"] = None
    conn.execute(update(Task).where(Task.id == task_id).values(**after, updated_at=utcnow()))
    audit.record(
        conn,
        actor,
        "task.reopen",
        "tasks",
        task_id,
        before={k: old[k] for k in ("status", "outcome", "root_cause")},
        after={"status": TaskStatus.OPEN.value, "why": why[:300]},
    )
    return get_task(conn, task_id)


def tick(
    conn: Connection, actor: audit.Actor, task_id: int, item: int, done: bool
) -> dict[str, Any]:
    """Tick (or untick) the checklist step ``item`` (from 0) of an open task; audited."""
    old = _raw(conn, task_id)
    checklist = [dict(i) for i in old["checklist"] or []]
    if not 0 <= item < len(checklist):
        raise InvalidInput(f"item: task {task_id} has {len(checklist)} checklist step(s)")
    if old["status"] != TaskStatus.OPEN.value:
        raise Conflict(f"task {task_id} is done; a completed task is not changed")
    if checklist[item]["done"] != done:
        checklist[item]["done"] = done
        conn.execute(
            update(Task).where(Task.id == task_id).values(checklist=checklist, updated_at=utcnow())
        )
        audit.record(
            conn,
            actor,
            "task.check" if done else "task.uncheck",
            "tasks",
            task_id,
            before={"item": item, "text": checklist[item]["text"], "done": not done},
            after={"item": item, "text": checklist[item]["text"], "done": done},
        )
    return get_task(conn, task_id)


def list_tasks(
    conn: Connection,
    *,
    task_id: int | None = None,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    due: str | None = None,
    today: date | None = None,
    after: int | None = None,
    limit: int = 50,
    owners: Owners = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Return tasks (with customer and assignee names) a page at a time, and the next cursor.

    ``due`` narrows open tasks to "overdue" (before ``today``), "today", "later" or "undated".
    ``owners``: only tasks of the customers the caller reaches ([access]; None: all).
    """
    query = (
        select(
            Task.__table__,
            Customer.name.label("customer_name"),
            Customer.external_id.label("customer_external_id"),
            User.name.label("assignee_name"),
        )
        .join(Customer, Customer.id == Task.customer_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .order_by(Task.id)
        .limit(limit + 1)
    )
    for column, value in (
        (Task.id, task_id),
        (Task.assignee_id, assignee_id),
        (Task.customer_id, customer_id),
        (Task.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        query = query.where(Task.id > after)
    if due is not None:
        query = query.where(Task.status == TaskStatus.OPEN.value, _due(due, today))
    if owners is not None:
        query = query.where(owned(owners))
    rows = plain_rows(conn.execute(query).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)


def _due(due: str, today: date | None) -> Any:
    if due not in WHEN:
        raise InvalidInput(f"due: one of {', '.join(WHEN)}, not {due!r}")
    if due == "undated":
        return Task.due_on.is_(None)
    if today is None:
        raise InvalidInput("due: needs today's date")
    return {
        "overdue": Task.due_on < today,
        "today": Task.due_on == today,
        "later": Task.due_on > today,
    }[due]


def counts(conn: Connection, assignee_id: int, today: date) -> dict[str, int]:
    """Count a user's open tasks by when they are due, and the ones done."""
    open_ = Task.status == TaskStatus.OPEN.value
    row = conn.execute(
        select(
            func.count().filter(open_, Task.due_on < today).label("overdue"),
            func.count().filter(open_, Task.due_on == today).label("today"),
            func.count().filter(open_, Task.due_on > today).label("later"),
            func.count().filter(open_, Task.due_on.is_(None)).label("undated"),
            func.count().filter(Task.status == TaskStatus.DONE.value).label("done"),
        ).where(Task.assignee_id == assignee_id)
    ).one()
    return {k: int(v) for k, v in row._mapping.items()}
