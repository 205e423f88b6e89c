"""Value: customer equity, the CLV distribution, value by stage, top customers, RFM segments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, Engine

from tenure.domains.customers import listing
from tenure.domains.reports.charts import clv_histogram, value_by_stage
from tenure.domains.scoring.reports import kpi_report, segment_report
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission
from tenure.web import charts, session
from tenure.web.render import Page, Renderer


def value_charts(conn: Connection, page: Page) -> dict[str, Any]:
    """Return the CLV distribution and value by stage charts (none before a run)."""
    by_stage = value_by_stage(conn)
    if not by_stage:
        return {}
    _ = page.gettext
    return {
        "clv": charts.clv_histogram(clv_histogram(conn), page.fmt.money),
        "value": charts.value_by_stage(
            by_stage,
            page.stage_label,
            (_("Gross margin so far"), _("Predicted CLV")),
            page.fmt.currency,
        ),
    }


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the value page to ``router``."""

    @router.get("/value", include_in_schema=False)
    def value_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        tools = render.page_tools(request, signed)
        with engine.connect() as conn:
            kpis = kpi_report(conn)
            options = value_charts(conn, tools)
            # the figures are the whole base's; the people named, only those within reach
            owners = access.owners_of(conn, signed.principal, render.settings.access)
            top, _cursor = listing.listing(
                conn, listing.ListQuery(sort="-clv", limit=20, owners=owners)
            )
            segments = segment_report(conn)
        return render.page(
            request,
            "value.html",
            signed,
            value=kpis["value"] if kpis else None,
            charts=options,
            top=top,
            segments=segments,
        )
