"""Who to call today: a salesperson's overdue and due follow-ups, hot leads and leads cooling."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.api.params import QueryId
from tenure.domains.sales import service as sales
from tenure.domains.users import access
from tenure.domains.users import service as users
from tenure.domains.users.permissions import Permission
from tenure.kit.timeutil import business_today
from tenure.web import session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the call list to ``router``."""

    @router.get("/calls", include_in_schema=False)
    def call_list(request: Request, owner: QueryId = None) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        whose = owner or signed.principal.user_id
        zone = render.settings.business.timezone
        today = business_today(zone)
        with engine.connect() as conn:
            # another person's list only if their customers are within the caller's reach;
            # out of reach, the caller's own
            reach = access.owners_of(conn, signed.principal, render.settings.access)
            if reach is not None and whose not in reach:
                whose = signed.principal.user_id
            calls = sales.call_list(conn, whose, today, zone) if whose else None
            people = [u for u in users.list_users(conn) if u["active"]]
        return render.page(
            request,
            "calls.html",
            signed,
            calls=calls,
            people=people,
            whose=whose,
            today=today,
            cooling_days=sales.COOLING_DAYS,
        )
