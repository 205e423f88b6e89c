"""Channels: what each acquisition channel cost and brought (CAC, ROI), month by month."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.scoring.reports import kpi_report
from tenure.domains.users.permissions import Permission
from tenure.kit import vocabulary
from tenure.web import charts, session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the channels page to ``router``."""

    @router.get("/channels", include_in_schema=False)
    def channels_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_SPEND)
        with engine.connect() as conn:
            kpis = kpi_report(conn)
        totals = kpis["channels"]["total"] if kpis else []
        monthly = kpis["channels"]["monthly"] if kpis else []
        months = sorted({m["month"] for m in monthly})[-6:]
        lang = render.language(request, signed)

        def channel(key: str) -> str:
            return vocabulary.label("channel", key, lang)

        return render.page(
            request,
            "channels.html",
            signed,
            totals=totals,
            months=months,
            by_month={(m["channel"], m["month"]): m for m in monthly if m["month"] in months},
            charts={
                "channels": charts.channels(
                    totals, ("CAC", "ROI"), channel, render.settings.business.currency
                )
            }
            if totals
            else {},
            as_of=kpis["as_of"] if kpis else None,
        )
