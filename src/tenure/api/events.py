"""Events streamed in by a shop or an app: batches, idempotent by the sender's event id."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from tenure.api.auth import Guard, audit_actor
from tenure.api.errors import language
from tenure.domains.events import service as events
from tenure.domains.events.schemas import IncomingEvent, IngestResult
from tenure.domains.users.permissions import Permission as P
from tenure.kit.error_words import say
from tenure.storage.engine import write_transaction


class EventBatch(BaseModel):
    """Up to 1,000 events at once."""

    model_config = ConfigDict(extra="forbid")

    events: list[IncomingEvent] = Field(min_length=1, max_length=events.MAX_BATCH)


def routes(engine: Engine, router: APIRouter) -> None:
    """Add the event ingestion route to ``router``."""
    guard = Guard(engine, router)

    @guard.route("POST", "/events", P.IMPORT_DATA)
    def ingest_events(body: EventBatch, request: Request) -> IngestResult:
        """Store new events; ids seen before are counted as duplicates and change nothing.

        Events of unknown customers are refused one by one (with their index in the batch, the
        field and why, in the caller's language); the rest are stored. An event the schema
        refuses (a missing field, a type of the wrong kind) refuses the batch: 422 naming
        ``body.events.INDEX.FIELD`` and why.
        """
        with write_transaction(engine) as conn:
            result = events.ingest(conn, audit_actor(request), body.events)
        lang = language(request)  # each refusal's reason in the caller's language
        for refused in result.rejected:
            refused["error"] = say(refused["error"], lang)
        return result
