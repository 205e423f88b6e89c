"""Surveys and Feedback: each survey's figures, answers and detractors; each team's follow-ups."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.surveys import figures, service, teams
from tenure.domains.surveys.followups import OUTCOMES
from tenure.domains.users.permissions import Permission
from tenure.kit.timeutil import utcnow
from tenure.web import charts, session
from tenure.web.render import Renderer

BANDS = ("promoter", "passive", "detractor", "satisfied", "neutral", "unsatisfied")


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the Surveys and Feedback pages to ``router``."""

    @router.get("/surveys", include_in_schema=False)
    def surveys_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        lang = render.language(request, signed)
        with engine.connect() as conn:
            rows = [
                {"key": s.key, "title": s.spec.title.pick(lang), "active": s.active}
                | figures.survey_figures(conn, s.key)
                for s in service.listing(conn)
            ]
        return render.page(request, "surveys.html", signed, surveys=rows)

    @router.get("/surveys/{key}", include_in_schema=False)
    def survey_page(
        request: Request,
        key: str,
        band: str | None = Query(None),
        commented: bool = Query(False),
    ) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        lang = render.language(request, signed)
        band = band if band in BANDS else None
        with engine.connect() as conn:
            survey = service.get(conn, key)
            got = figures.survey_figures(conn, key)
            answers = service.answers(conn, key, band=band, commented=commented, limit=100)
            poor = figures.poor_answers(conn, key)
        _ = render.page_tools(request, signed).gettext
        name = "NPS" if survey.spec.kind == "nps" else _("Satisfied share")
        trend = [{"month": m["month"], "nps": m["score"]} for m in got["by_month"]]
        trend_chart = charts.nps_trend(trend, name) if trend else None
        return render.page(
            request,
            "survey.html",
            signed,
            survey=survey,
            title=survey.spec.title.pick(lang),
            got=got,
            answers=answers,
            poor=poor,
            band=band,
            bands=BANDS,
            commented=commented,
            trend_chart=trend_chart,
            charts={"survey-trend": trend_chart} if trend_chart else {},  # loads ECharts
            outcomes=OUTCOMES,
        )

    @router.get("/feedback", include_in_schema=False)
    def feedback_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        now = utcnow()
        with engine.connect() as conn:
            found = [
                t | {"board": figures.team_board(conn, t["key"], now)} for t in teams.listing(conn)
            ]
        return render.page(request, "feedback.html", signed, teams=found)

    @router.get("/feedback/{key}", include_in_schema=False)
    def team_page(request: Request, key: str) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        now = utcnow()
        with engine.connect() as conn:
            team = teams.get(conn, key)
            board = figures.team_board(conn, key, now)
            items = figures.team_items(conn, key, now)
        return render.page(request, "team.html", signed, team=team, board=board, items=items)
