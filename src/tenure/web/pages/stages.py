"""Stages: where customers stand, how they moved since the last run, and why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.scoring.reports import recent_moves, stage_flow, stage_report
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission
from tenure.web import charts, session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the stages page to ``router``."""

    @router.get("/stages", include_in_schema=False)
    def stages_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        tools = render.page_tools(request, signed)
        with engine.connect() as conn:
            report = stage_report(conn)
            flow = stage_flow(conn)
            # the figures are the whole base's; the people named, only those within reach
            owners = access.owners_of(conn, signed.principal, render.settings.access)
            moves = recent_moves(conn, 50, owners)
        moving = [f for f in (flow or {}).get("flow", []) if f["from"] != f["to"]]
        return render.page(
            request,
            "stages.html",
            signed,
            report=report.as_dict() if report else None,
            flow=sorted(moving, key=lambda f: -f["customers"]),
            charts={"flow": charts.stage_flow(flow["flow"], tools.stage_label)}
            if flow and flow["flow"]
            else {},
            moves=moves,
            thresholds=render.settings.stages.params(),
        )
