"""Loyalty: members by tier, points issued / redeemed / expired by month, liability, top earners."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.loyalty import referral_repository, reports
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty import service as loyalty
from tenure.domains.users.permissions import Permission
from tenure.web import charts, session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the loyalty page to ``router``."""

    @router.get("/loyalty", include_in_schema=False)
    def loyalty_page(
        request: Request, programme: str | None = Query(None, max_length=64)
    ) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        tools = render.page_tools(request, signed)
        _ = tools.gettext
        with engine.connect() as conn:
            keys = repo.programme_keys(conn)
            key = programme or (keys[0] if keys else None)
            if key is None:
                return render.page(request, "loyalty.html", signed, keys=[], book=None)
            book = loyalty.book(conn, key)  # 404 for an unknown programme
            totals = reports.summary(conn, book)
            months = reports.monthly(conn, book)
            tiers = reports.by_tier(conn, book, totals.members)
            top = reports.top_earners(conn, book)
            referral_counts = (
                None
                if book.programme.referral is None
                else referral_repository.status_counts(conn, book.id)
            )
            review = (
                []
                if referral_counts is None
                else referral_repository.listing(conn, book.id, status="review")
            )
        option = charts.grouped_bars(
            [m["month"] for m in months],
            [
                (_("Issued"), [m["issued"] for m in months]),
                (_("Redeemed"), [m["redeemed"] for m in months]),
                (_("Expired"), [m["expired"] for m in months]),
            ],
        )
        return render.page(
            request,
            "loyalty.html",
            signed,
            keys=keys,
            key=key,
            book=book.programme,
            totals=totals,
            months=months,
            tiers=tiers,
            top=top,
            referral_counts=referral_counts,
            review=review,
            charts={"points": option} if months else {},
        )
