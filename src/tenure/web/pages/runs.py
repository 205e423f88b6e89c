"""Runs: every scoring run with its timings and models' quality; start one now."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.scoring import requests
from tenure.domains.scoring.reports import churn_report, run_list
from tenure.domains.users.permissions import Permission
from tenure.kit.errors import InvalidInput
from tenure.kit.i18n import sentence
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer
from tenure.worker.server import ServerWorker


def routes(engine: Engine, render: Renderer, worker: ServerWorker, router: APIRouter) -> None:
    """Add the runs page to ``router``; ``worker`` carries out the runs started here."""

    @router.get("/runs", include_in_schema=False)
    def runs_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        with engine.connect() as conn:
            runs = run_list(conn, 30)
            churn = churn_report(conn, 0)
            asked = requests.recent(conn, 5)
        return render.page(
            request,
            "runs.html",
            signed,
            runs=runs,
            churn=(churn or {}).get("model") or {},
            sentence=lambda text: sentence(text, render.language(request, signed)),
            asked=asked,
            waiting=any(r["status"] in ("queued", "running") for r in asked),
            today=business_today(render.settings.business.timezone),
        )

    @router.post("/runs", include_in_schema=False)
    def start_run(request: Request, as_of: str = Form(""), csrf: str = Form("")) -> Response:
        signed = session.posted(engine, request, csrf, Permission.RUN_SCORING)
        try:
            day = (
                date.fromisoformat(as_of)
                if as_of
                else business_today(render.settings.business.timezone)
            )
        except ValueError:
            raise InvalidInput(f"as_of: {as_of!r} is not a date written YYYY-MM-DD") from None
        with write_transaction(engine) as conn:
            requests.request_run(conn, session.actor(signed), day)
        worker.wake()
        return RedirectResponse("/runs", 303)
