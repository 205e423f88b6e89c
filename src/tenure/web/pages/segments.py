"""Segments: the saved filters with their members, and the run's RFM and value segments."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.scoring.reports import segment_report
from tenure.domains.segments import service as segments
from tenure.domains.users.permissions import Permission
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the segments page to ``router``."""

    @router.get("/segments", include_in_schema=False)
    def segments_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        with engine.connect() as conn:
            saved = segments.list_all(conn)
            report = segment_report(conn)
        return render.page(request, "segments.html", signed, saved=saved, report=report)

    @router.post("/segments/{name}/delete", include_in_schema=False)
    def delete(request: Request, name: str, csrf: str = Form("")) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_SEGMENTS)
        with write_transaction(engine) as conn:
            segments.delete_segment(conn, name, actor=session.actor(signed))
        return RedirectResponse("/segments", 303)
