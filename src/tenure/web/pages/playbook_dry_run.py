"""The playbook page's "Dry run on history": ask for one, wait for the worker, read its figures.

The form queues a dry run (the worker walks it); while it waits, the section is a small
partial htmx asks for again every two seconds, and once the dry run is done it reloads the
page, which draws the tables and charts (the charts are drawn on a page's load).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine

from tenure.domains.automation import dry_run_records as records
from tenure.domains.automation.dry_run_owners import owner_workload
from tenure.domains.users.permissions import Permission
from tenure.kit.errors import InvalidInput
from tenure.kit.timeutil import business_today
from tenure.web import charts, session
from tenure.web.render import Page, Renderer
from tenure.worker.server import ServerWorker

WAITING = ("queued", "running")


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a day; write it as YYYY-MM-DD") from None


def view(conn: Connection, name: str, page: Page, today: date) -> dict[str, Any]:
    """Return what the section shows: the latest dry run, its tables and its charts."""
    latest = records.latest(conn, name)
    start = today - timedelta(days=90)
    shown: dict[str, Any] = {
        "latest": latest,
        "waiting": latest is not None and latest["status"] in WAITING,
        "default_from": (latest["first_day"] if latest else start).isoformat(),
        "default_to": (latest["last_day"] if latest else today - timedelta(days=1)).isoformat(),
        "charts": {},
        "owners": [],
    }
    result = latest.get("result") if latest else None
    if not result:
        return shown
    _ = page.gettext
    weeks = result["weeks"]
    labels = [page.fmt.day(w["week"]) for w in weeks]
    shown["owners"] = owners = owner_workload(result, page.lang)
    shown["charts"] = {
        "dry_run_entries": charts.grouped_bars(
            labels,
            [
                (_("Treated"), [w["entries"] - w["holdout"] for w in weeks]),
                (_("Holdout"), [w["holdout"] for w in weeks]),
            ],
        )
        if weeks
        else None,
        "dry_run_workload": charts.grouped_bars(
            [o["label"] for o in owners],
            [
                (_("Emails"), [o["emails"] for o in owners]),
                (_("Tasks"), [o["tasks"] for o in owners]),
            ],
        )
        if owners
        else None,
    }
    return shown


def routes(engine: Engine, render: Renderer, worker: ServerWorker, router: APIRouter) -> None:
    """Add the dry-run form's target and the waiting partial to ``router``."""

    @router.post("/playbooks/{name}/dry-runs", include_in_schema=False)
    def ask(
        request: Request,
        name: str,
        first: str = Form("", alias="from"),
        last: str = Form("", alias="to"),
        lang: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.READ_PLAYBOOKS)
        start, end = _day(first, "from"), _day(last, "to")
        zone = render.settings.business.timezone
        from tenure.storage.engine import write_transaction

        with write_transaction(engine) as conn:
            records.request(
                conn, session.actor(signed), name, start, end, business_today(zone), zone
            )
        worker.wake()
        kept = f"?lang={quote(lang)}" if lang in ("en", "zh") else ""
        return RedirectResponse(f"/playbooks/{quote(name)}{kept}#dry-run", 303)

    @router.get("/playbooks/{name}/dry-run", include_in_schema=False)
    def waiting(request: Request, name: str) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        page = render.page_tools(request, signed)
        zone = render.settings.business.timezone
        with engine.connect() as conn:
            shown = view(conn, name, page, business_today(zone))
        answer = render.page(request, "_playbook_dry_run_status.html", signed, name=name, dry=shown)
        if not shown["waiting"]:
            answer.headers["HX-Refresh"] = "true"  # the whole page draws the figures
        return answer
