"""The email outbox: every message playbooks queued, where each stands and why."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine

from tenure.api.auth import Guard, caller
from tenure.api.params import PathId, QueryId
from tenure.domains.messaging import service as messaging
from tenure.domains.messaging.models import MessageStatus
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission as P
from tenure.kit.settings import Settings


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the message routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/messages", P.READ_PLAYBOOKS)
    def list_messages(
        request: Request,
        status: Annotated[
            MessageStatus | None, Query(description="Only the messages in this status.")
        ] = None,
        customer_id: QueryId = None,
        playbook: Annotated[
            str | None,
            Query(min_length=1, max_length=100, description="Only this playbook's messages."),
        ] = None,
        source: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=100,
                description="Only the messages of this source, e.g. `playbook:win-back`.",
            ),
        ] = None,
        after: QueryId = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """List the outbox newest first, a page at a time, without the bodies.

        `counts` has the messages in each status that the customer and playbook filters keep.
        """
        with engine.connect() as conn:
            found = messaging.outbox(
                conn,
                owners=access.owners_of(conn, caller(request), settings.access),
                status=status.value if status else None,
                customer_id=customer_id,
                source=messaging.source_of(playbook, source),
                after=after,
                limit=limit,
            )
        return {"items": found.items, "next": found.next, "counts": found.counts}

    @guard.route("GET", "/messages/{message_id}", P.READ_PLAYBOOKS)
    def get_message(message_id: PathId, request: Request) -> dict[str, Any]:
        """Return one message: subject, text and HTML parts, headers, status and its history."""
        with engine.connect() as conn:
            owners = access.owners_of(conn, caller(request), settings.access)
            return messaging.show(conn, message_id, owners)
