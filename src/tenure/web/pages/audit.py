"""The audit log, newest first (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.audit import service as audit
from tenure.domains.users.permissions import Permission
from tenure.kit import vocabulary
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
        lang = render.language(request, signed)
        shown = [
            {**e, "before": labelled(e["before"], lang), "after": labelled(e["after"], lang)}
            for e in entries
        ]
        return render.page(request, "audit.html", signed, entries=shown, cursor=cursor)


# the fields of an entry's before and after whose values are keys of the catalogue
LABELLED = {
    "role": "role",
    "stage": "stage",
    "status": "task_status",
    "acquisition_channel": "channel",
    "health_band": "health_band",
    "lead_band": "lead_band",
}


def labelled(values: Any, lang: str) -> Any:
    """Return an entry's before or after with catalogue keys in words: "viewer" → 只读."""
    if not isinstance(values, dict):
        return values
    return {
        key: vocabulary.label(LABELLED[key], value, lang)
        if key in LABELLED and isinstance(value, str)
        else value
        for key, value in values.items()
    }
