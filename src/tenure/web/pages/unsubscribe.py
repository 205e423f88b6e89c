"""The public unsubscribe page: no sign-in; the signed token in the link is the authority.

GET shows what will happen and a button; POST withdraws the customer's email consent
(audited). Mail clients that honour RFC 8058 POST ``List-Unsubscribe=One-Click`` to the same
address without showing the page, so the POST takes no CSRF token: it can only ever turn
mail off, for the one customer the signed token names.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.domains.audit.service import Actor
from tenure.domains.messaging import personal
from tenure.domains.messaging import service as messaging
from tenure.storage.engine import write_transaction
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the unsubscribe page to ``router``."""
    settings = render.settings

    def page(request: Request, state: str, token: str, status: int = 200) -> Response:
        return render.page(
            request,
            "unsubscribe.html",
            None,
            status,
            state=state,
            token=token,
            company=personal.company_name(settings),
        )

    @router.get("/unsubscribe/{token}", include_in_schema=False)
    def confirm(request: Request, token: str) -> Response:
        if messaging.customer_of_token(token, settings) is None:
            return page(request, "invalid", token, 404)
        return page(request, "confirm", token)

    @router.post("/unsubscribe/{token}", include_in_schema=False)
    def unsubscribe(request: Request, token: str) -> Response:
        customer_id = messaging.customer_of_token(token, settings)
        if customer_id is None:
            return page(request, "invalid", token, 404)
        with write_transaction(engine) as conn:
            messaging.unsubscribe(conn, customer_id, Actor(None, "web"))
        return page(request, "done", token)
