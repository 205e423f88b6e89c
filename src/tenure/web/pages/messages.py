"""Messages: the email outbox — where each message stands and why; one message as it was sent.

A message's HTML part is a template's output: the page shows it in a sandboxed frame (no
script, no forms, no navigation of the page), never inline.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from tenure.api.params import PathId, QueryId
from tenure.domains.messaging import service as messaging
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission
from tenure.web import session
from tenure.web.render import N_, Renderer

LISTED = 50  # messages on a page of the outbox
STATUS = {
    "queued": N_("Queued"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "unknown": N_("Unknown"),
    "skipped": N_("Skipped"),
}
# why a message stands where it does (the outbox's short codes); others are shown as they are
REASONS = {
    "no_address": N_("no email address"),
    "no_consent": N_("no email consent"),
    "frequency_cap": N_("over the frequency cap"),
    "sender_stopped": N_("the sender stopped while sending it"),
    "no_connection": N_("the mail server could not be reached"),
    "transport_error": N_("the transport failed midway"),
}
CATEGORIES = {"marketing": N_("Marketing mail"), "service": N_("Service mail")}


def _link(**params: object) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "/messages" + (f"?{urlencode(kept)}" if kept else "")


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the outbox pages to ``router``."""

    @router.get("/messages", include_in_schema=False)
    def outbox(
        request: Request,
        status: str | None = None,
        playbook: str | None = None,
        customer_id: QueryId = None,
        after: QueryId = None,
    ) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        status, playbook = status or None, playbook or None  # an empty select sends ""
        with engine.connect() as conn:
            found = messaging.outbox(
                conn,
                owners=access.owners_of(conn, signed.principal, render.settings.access),
                status=status,
                customer_id=customer_id,
                source=messaging.source_of(playbook, None),
                after=after,
                limit=LISTED,
            )
            playbooks = [
                p for s in messaging.sources(conn) if (p := messaging.playbook_of(s)) is not None
            ]
        return render.page(
            request,
            "messages.html",
            signed,
            messages=found.items,
            counts=found.counts,
            total=sum(found.counts.values()),
            status=status,
            playbook=playbook,
            playbooks=playbooks,
            customer_id=customer_id,
            first_page=after is None,
            newer=_link(status=status, playbook=playbook, customer_id=customer_id),
            older=None
            if found.next is None
            else _link(status=status, playbook=playbook, customer_id=customer_id, after=found.next),
            chip=lambda s: _link(status=s, playbook=playbook, customer_id=customer_id),
            statuses=STATUS,
            reasons=REASONS,
        )

    @router.get("/messages/{message_id}", include_in_schema=False)
    def message_page(request: Request, message_id: PathId) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        with engine.connect() as conn:
            owners = access.owners_of(conn, signed.principal, render.settings.access)
            found = messaging.show(conn, message_id, owners)
        return render.page(
            request,
            "message.html",
            signed,
            m=found,
            statuses=STATUS,
            reasons=REASONS,
            categories=CATEGORIES,
        )
