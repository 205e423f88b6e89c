"""Tasks: list (mine, a customer's, by due day), create, change, complete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine

from tenure.api.auth import Guard, audit_actor, caller
from tenure.api.params import PathId, QueryId
from tenure.domains.tasks import service as tasks
from tenure.domains.tasks.schemas import Completion, NewTask, TaskChange, Tick
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission as P
from tenure.kit.errors import InvalidInput
from tenure.kit.ids import parse_id
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction


def _assignee(text: str | None, me: int) -> int | None:
    if text is None:
        return None
    if text == "me":
        return me
    user_id = parse_id(text)
    if user_id is None:
        raise InvalidInput(f"assignee: a user id or `me`, not {text!r}")
    return user_id


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the task routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/tasks", P.READ_CUSTOMERS)
    def list_tasks(
        request: Request,
        assignee: str | None = Query(None, description="A user id, or `me`."),
        customer_id: QueryId = None,
        status: str | None = Query(None, description="open or done."),
        due: str | None = Query(None, description=f"Open tasks: {', '.join(tasks.WHEN)}."),
        after: QueryId = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """List tasks a page at a time; `due` is judged by the business time zone's today."""
        assignee_id = _assignee(assignee, caller(request).user_id)
        with engine.connect() as conn:
            items, cursor = tasks.list_tasks(
                conn,
                assignee_id=assignee_id,
                customer_id=customer_id,
                status=status,
                due=due,
                today=business_today(settings.business.timezone),
                after=after,
                limit=limit,
                # one's own tasks are one's own; others', of the customers within reach
                owners=None
                if assignee_id == caller(request).user_id
                else access.owners_of(conn, caller(request), settings.access),
            )
        return {"items": items, "next": cursor}

    @guard.route("POST", "/tasks", P.MANAGE_TASKS, status_code=201)
    def create_task(body: NewTask, request: Request) -> dict[str, Any]:
        """Create a task; without `assignee_id` it goes to the customer's owner."""
        with write_transaction(engine) as conn:
            return tasks.create_task(conn, audit_actor(request), **body.model_dump())

    @guard.route("PATCH", "/tasks/{task_id}", P.MANAGE_TASKS)
    def change_task(task_id: PathId, body: TaskChange, request: Request) -> dict[str, Any]:
        """Change an open task's title, notes, due day or assignee."""
        with write_transaction(engine) as conn:
            access.check_task(conn, caller(request), settings.access, task_id)
            return tasks.update_task(conn, audit_actor(request), task_id, body.sent())

    @guard.route("POST", "/tasks/{task_id}/complete", P.MANAGE_TASKS)
    def complete_task(task_id: PathId, body: Completion, request: Request) -> dict[str, Any]:
        """Complete an open task with its outcome; 409 if it was completed already.

        A task with `requires_root_cause` needs `root_cause` (product, service, price, other).
        """
        with write_transaction(engine) as conn:
            access.check_task(conn, caller(request), settings.access, task_id)
            return tasks.complete_task(
                conn, audit_actor(request), task_id, body.outcome, body.root_cause
            )

    @guard.route("POST", "/tasks/{task_id}/checklist/{item}", P.MANAGE_TASKS)
    def tick_item(
        task_id: PathId,
        item: Annotated[int, Path(ge=0, le=49, description="The step's place, from 0.")],
        body: Tick,
        request: Request,
    ) -> dict[str, Any]:
        """Tick a step of an open task's checklist off (`{"done": false}` unticks it)."""
        with write_transaction(engine) as conn:
            access.check_task(conn, caller(request), settings.access, task_id)
            return tasks.tick(conn, audit_actor(request), task_id, item, body.done)
