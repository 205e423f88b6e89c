"""Loyalty: members by tier, points by month, liability, top earners, KPIs vs non-members."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.loyalty import kpis, referral_repository, reports
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty import service as loyalty
from tenure.domains.users.permissions import Permission
from tenure.kit.timeutil import utcnow
from tenure.web import charts, session
from tenure.web.render import N_, Renderer

AS_OF = Query(None, description="The KPIs' day, YYYY-MM-DD (default: today).")
OUTCOMES = (
    ("repurchase_90d", N_("Repurchase within 90 days")),
    ("spend_since", N_("Spend since joining (historical CLV)")),
    ("predicted_clv", N_("Predicted CLV")),
)


def _kpi_charts(found: dict[str, Any], _: Any) -> dict[str, Any]:
    """Members' and comparable non-members' means with 95 % intervals, one chart per unit."""
    made = {}
    by = {c["outcome"]: c for c in found["matched"]["comparisons"]}
    labels = [_("Programme members"), _("Comparable non-members")]
    names = (_("Mean"), _("95% interval"))
    for outcome, key in (("repurchase_90d", "kpi_repurchase"), ("spend_since", "kpi_spend")):
        row = by.get(outcome)
        if row is None:
            continue
        made[key] = charts.interval_bars(
            labels,
            [row["member_mean"], row["comparison_mean"]],
            [row["member_ci"], row["comparison_ci"]],
            names,
        )
    return made


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the loyalty page to ``router``."""

    @router.get("/loyalty", include_in_schema=False)
    def loyalty_page(
        request: Request,
        programme: str | None = Query(None, max_length=64),
        as_of: date | None = AS_OF,
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
            today = utcnow().astimezone(ZoneInfo(book.programme.timezone)).date()
            found = kpis.report(conn, book, as_of=as_of or today, today=today)
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
            kpi=found,
            outcomes=OUTCOMES,
            charts=({"points": option} if months else {}) | _kpi_charts(found, _),
        )
