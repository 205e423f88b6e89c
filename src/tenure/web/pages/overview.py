"""The overview: KPI tiles against the previous 30 days, stages, revenue by month, channels.

With a global control group set, also the playbooks' measured lift against it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, Engine

from tenure.domains.automation import programme
from tenure.domains.reports.charts import nps_by_month
from tenure.domains.reports.service import overview_from_run, store_overview
from tenure.domains.scoring.reports import kpi_report, stage_flow, stage_report
from tenure.domains.users.permissions import Permission, allows
from tenure.kit import vocabulary
from tenure.web import charts, session
from tenure.web.pages.value import value_charts
from tenure.web.render import N_, Page, Renderer

# tile: key in the KPI window, label, how to show it, whether more is good news
TILES = (
    ("revenue", N_("Revenue, 30 days"), "money", True),
    ("orders", N_("Orders, 30 days"), "number", True),
    ("new_customers", N_("New customers, 30 days"), "number", True),
    ("active", N_("Active customers"), "number", True),
    ("lapsed", N_("Lapsed, 30 days"), "number", False),
    ("won_back", N_("Won back, 30 days"), "number", True),
)

# the store's tables counted on the page
COUNTED = {
    "customers": N_("Customers"),
    "orders": N_("Orders"),
    "events": N_("Events"),
    "survey_responses": N_("Survey answers"),
}


def tiles(kpis: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return each headline figure with its change against the 30 days before.

    ``news`` is "good", "bad" or "flat": the arrow shows which way the figure moved, its
    colour whether that is good news (fewer lapsed customers is).
    """
    if kpis is None:
        return []
    now, before = kpis["window"]["current"], kpis["window"]["previous"]
    out = []
    for key, label, kind, more_is_good in TILES:
        value, previous = now.get(key), before.get(key)
        change = (
            (value - previous) / previous
            if value is not None and previous not in (None, 0)
            else None
        )
        out.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "value": value,
                "change": change,
                "news": _news(change, more_is_good),
            }
        )
    return out


def _news(change: float | None, more_is_good: bool) -> str | None:
    if change is None:
        return None
    if change == 0:
        return "flat"
    return "good" if (change > 0) == more_is_good else "bad"


def chart_options(
    conn: Connection, kpis: dict[str, Any] | None, data: Any, page: Page, *, spend: bool = True
) -> dict[str, Any]:
    """Return the overview's charts as ECharts options (those with something to show).

    Without ``spend`` (a role without ``read_spend``) there is no CAC and ROI chart.
    """
    _, fmt, stage = page.gettext, page.fmt, page.stage_label
    options: dict[str, Any] = {
        "revenue": charts.bars(
            [fmt.month(m.month) for m in data.months],
            [float(m.revenue) for m in data.months],
            _("Paid revenue"),
            fmt.currency,
        )
    }
    flow = stage_flow(conn)
    if flow and flow["flow"]:
        options["flow"] = charts.stage_flow(flow["flow"], stage)
    options |= value_charts(conn, page)
    if kpis is not None and kpis["cohorts"]["cohorts"]:
        options["cohorts"] = charts.cohort_heatmap(kpis["cohorts"]["cohorts"])
    if kpis is not None and spend:
        options["channels"] = charts.channels(
            kpis["channels"]["total"],
            ("CAC", "ROI"),
            lambda key: vocabulary.label("channel", key, page.lang),
            fmt.currency,
        )
    nps = nps_by_month(conn)
    if nps:
        options["nps"] = charts.nps_trend(nps, "NPS")
    return options


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the overview page to ``router``."""

    @router.get("/", include_in_schema=False)
    def overview(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        page = render.page_tools(request, signed)
        with engine.connect() as conn:
            kpis = kpi_report(conn)
            # with a run, its figures; the store is counted only before the first run
            data = overview_from_run(conn, kpis) if kpis else store_overview(conn)
            stages = stage_report(conn)
            spend = allows(signed.principal.role, Permission.READ_SPEND)
            # the programme's lift, for those who may read playbooks, once a group is set
            lift = (
                programme.as_configured(conn, render.settings)
                if programme.global_control_share(conn, render.settings) > 0
                and allows(signed.principal.role, Permission.READ_PLAYBOOKS)
                else None
            )
            options = (
                chart_options(conn, kpis, data, page, spend=spend)
                if data.counts["customers"]
                else {}
            )
        return render.page(
            request,
            "overview.html",
            signed,
            data=data,
            charts=options,
            empty=data.counts["customers"] == 0,
            stages=stages.as_dict() if stages else None,
            kpis=kpis,
            tiles=tiles(kpis),
            counted=COUNTED,
            spend=spend,
            programme=lift,
        )
