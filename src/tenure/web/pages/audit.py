"""The audit log, newest first (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.audit import service as audit
from tenure.domains.users.permissions import Permission
from tenure.web import session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the audit page to ``router``."""

    @router.get("/audit", include_in_schema=False)
    def audit_log(request: Request, before: int | None = None) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_AUDIT)
        with engine.connect() as conn:
            entries, cursor = audit.entries(conn, before_id=before, limit=100)
        return render.page(request, "audit.html", signed, entries=entries, cursor=cursor)
