"""My tasks: overdue, due today, later, undated and recently done; complete with an outcome."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.api.params import PathId, QueryId
from tenure.domains.surveys import followups
from tenure.domains.tasks import service as tasks
from tenure.domains.users import access
from tenure.domains.users import service as users
from tenure.domains.users.permissions import Permission
from tenure.domains.users.sessions import SignedIn
from tenure.kit.ids import parse_id
from tenure.kit.timeutil import business_today, utcnow
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.pages.customers import user_id_of
from tenure.web.render import Renderer


def _inbox_of(here: str, signed: SignedIn) -> int | None:
    """Whose inbox the page ``here`` is (None: not the inbox, e.g. a customer's page)."""
    url = urlsplit(here)
    if url.path != "/tasks":
        return None
    asked = parse_qs(url.query).get("assignee", [""])[0]
    return parse_id(asked) if asked else signed.principal.user_id


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the task pages to ``router``."""

    @router.get("/tasks", include_in_schema=False)
    def task_inbox(request: Request, assignee: QueryId = None) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        whose = assignee or signed.principal.user_id
        today = business_today(render.settings.business.timezone)
        with engine.connect() as conn:
            # one's own tasks are one's own; another's inbox shows the customers within reach
            owners = (
                None
                if whose == signed.principal.user_id
                else access.owners_of(conn, signed.principal, render.settings.access)
            )
            groups = {
                due: tasks.list_tasks(
                    conn, assignee_id=whose, due=due, today=today, limit=200, owners=owners
                )[0]
                for due in tasks.WHEN
            }
            done, _ = tasks.list_tasks(
                conn, assignee_id=whose, status="done", limit=200, owners=owners
            )
            counts = tasks.counts(conn, whose, today)
            people = users.list_users(conn)
        return render.page(
            request,
            "tasks.html",
            signed,
            groups=groups,
            done=done[-20:][::-1],
            counts=counts,
            people=people,
            whose=whose,
            today=today,
        )

    def answer(request: Request, signed: SignedIn, task_id: int, next_url: str) -> Response:
        """Htmx swaps the task's card in place; a plain form post goes back to the page."""
        if request.headers.get("hx-request") != "true":
            return RedirectResponse(session.safe_next(next_url), 303)
        here = session.safe_next(next_url)
        with engine.connect() as conn:
            task = tasks.get_task(conn, task_id)
            people = users.list_users(conn)
            # on the inbox, the counters above the cards follow the change (htmx out of band)
            whose = _inbox_of(here, signed)
            today = business_today(render.settings.business.timezone)
            counts = tasks.counts(conn, whose, today) if whose is not None else None
        return render.page(
            request,
            "_task_answer.html",
            signed,
            counts=counts,
            t=task,
            due=None,
            show_customer=True,
            people=people,
            here=here,
        )

    @router.post("/tasks/{task_id}/complete", include_in_schema=False)
    def complete(
        request: Request,
        task_id: PathId,
        outcome: str = Form(""),
        root_cause: str = Form(""),
        follow_up: str = Form(""),
        ask: str = Form(""),
        csrf: str = Form(""),
        next: str = Form("/tasks"),  # noqa: A002
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_TASKS)
        with write_transaction(engine) as conn:
            access.check_task(conn, signed.principal, render.settings.access, task_id)
            if followups.of_task(conn, task_id) is not None:
                # a survey follow-up ends contacted, resolved or not reachable, with a cause
                followups.close(
                    conn,
                    session.actor(signed),
                    task_id,
                    outcome=follow_up,
                    root_cause=root_cause,
                    note=outcome,
                    ask=ask == "yes",
                    now=utcnow(),
                    settings=render.settings,
                )
            else:
                tasks.complete_task(
                    conn, session.actor(signed), task_id, outcome, root_cause or None
                )
        return answer(request, signed, task_id, next)

    @router.post("/tasks/{task_id}/checklist/{item}", include_in_schema=False)
    def tick(
        request: Request,
        task_id: PathId,
        item: Annotated[int, Path(ge=0, le=49)],
        done: str = Form("yes"),
        csrf: str = Form(""),
        next: str = Form("/tasks"),  # noqa: A002
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_TASKS)
        with write_transaction(engine) as conn:
            access.check_task(conn, signed.principal, render.settings.access, task_id)
            tasks.tick(conn, session.actor(signed), task_id, item, done != "no")
        return answer(request, signed, task_id, next)

    @router.post("/tasks/{task_id}/assign", include_in_schema=False)
    def assign(
        request: Request,
        task_id: PathId,
        assignee: str = Form(""),
        csrf: str = Form(""),
        next: str = Form("/tasks"),  # noqa: A002
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_TASKS)
        with write_transaction(engine) as conn:
            access.check_task(conn, signed.principal, render.settings.access, task_id)
            tasks.update_task(
                conn,
                session.actor(signed),
                task_id,
                {"assignee_id": user_id_of(assignee)},
            )
        return answer(request, signed, task_id, next)
