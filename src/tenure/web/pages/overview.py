"""The overview: KPI tiles against the previous 30 days, stages, revenue by month, channels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.reports.service import store_overview
from tenure.domains.scoring.service import kpi_report, stage_report
from tenure.domains.users.permissions import Permission
from tenure.web import session
from tenure.web.charts import bar_chart
from tenure.web.render import N_, Renderer

# tile: key in the KPI window, label, how to show it
TILES = (
    ("revenue", N_("Revenue, 30 days"), "money"),
    ("orders", N_("Orders, 30 days"), "number"),
    ("new_customers", N_("New customers, 30 days"), "number"),
    ("active", N_("Active customers"), "number"),
    ("lapsed", N_("Lapsed, 30 days"), "number"),
    ("won_back", N_("Won back, 30 days"), "number"),
)

# the store's tables counted on the page
COUNTED = {
    "customers": N_("Customers"),
    "orders": N_("Orders"),
    "events": N_("Events"),
    "survey_responses": N_("Survey answers"),
}


def tiles(kpis: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return each headline figure with its change against the 30 days before."""
    if kpis is None:
        return []
    now, before = kpis["window"]["current"], kpis["window"]["previous"]
    out = []
    for key, label, kind in TILES:
        value, previous = now.get(key), before.get(key)
        change = (
            (value - previous) / previous
            if value is not None and previous not in (None, 0)
            else None
        )
        out.append({"key": key, "label": label, "kind": kind, "value": value, "change": change})
    return out


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the overview page to ``router``."""

    @router.get("/", include_in_schema=False)
    def overview(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        with engine.connect() as conn:
            data = store_overview(conn)
            stages = stage_report(conn)
            kpis = kpi_report(conn)
        chart = bar_chart(
            [m.month for m in data.months],
            [float(m.revenue) for m in data.months],
            unit=f"{render.settings.business.currency} ",
        )
        return render.page(
            request,
            "overview.html",
            signed,
            data=data,
            chart=chart,
            empty=data.counts["customers"] == 0,
            stages=stages.as_dict() if stages else None,
            kpis=kpis,
            tiles=tiles(kpis),
            counted=COUNTED,
        )
