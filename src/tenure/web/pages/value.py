"""Value: customer equity, the CLV distribution, value by stage, top customers, RFM segments."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.customers import listing
from tenure.domains.reports.charts import clv_histogram, value_by_stage
from tenure.domains.scoring.service import kpi_report, segment_report
from tenure.domains.users.permissions import Permission
from tenure.web import charts, session
from tenure.web.render import STAGES, Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the value page to ``router``."""

    @router.get("/value", include_in_schema=False)
    def value_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        tools = render.page_tools(request, signed)
        _ = tools.gettext
        with engine.connect() as conn:
            kpis = kpi_report(conn)
            order = list(STAGES)
            by_stage = sorted(
                value_by_stage(conn),
                key=lambda r: order.index(r["stage"]) if r["stage"] in order else 99,
            )
            buckets = clv_histogram(conn)
            top, _cursor = listing.listing(conn, listing.ListQuery(sort="-clv", limit=20))
            segments = segment_report(conn)
        options = (
            {
                "clv": charts.clv_histogram(buckets, tools.fmt.money),
                "value": charts.value_by_stage(
                    by_stage, tools.stage_label, (_("Revenue so far"), _("Predicted CLV"))
                ),
            }
            if by_stage
            else {}
        )
        return render.page(
            request,
            "value.html",
            signed,
            value=kpis["value"] if kpis else None,
            charts=options,
            top=top,
            segments=segments,
        )
