"""Segments: saved filter trees over customers, their stage and scores."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from tenure.api.auth import Guard, audit_actor
from tenure.domains.segments import service as segments
from tenure.domains.users.permissions import Permission as P
from tenure.storage.engine import write_transaction


class NewSegment(BaseModel):
    """A named filter tree (docs/segments.md lists the fields and operators)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    filter: dict[str, Any] = Field(examples=[{"field": "clv", "op": ">", "value": 500}])
    description: str | None = Field(None, max_length=500)


def routes(engine: Engine, router: APIRouter) -> None:
    """Add the segment routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/segments", P.READ_CUSTOMERS)
    def list_segments() -> dict[str, Any]:
        """List every segment with its filter and member count at the last refresh."""
        with engine.connect() as conn:
            return {"items": segments.list_all(conn)}

    @guard.route("POST", "/segments", P.MANAGE_SEGMENTS, status_code=201)
    def create_segment(body: NewSegment, request: Request) -> dict[str, Any]:
        """Save a segment and fill it now; 409 when the name is taken, 422 for a bad filter."""
        with write_transaction(engine) as conn:
            return segments.create(
                conn, body.name, body.filter, body.description, actor=audit_actor(request)
            )

    @guard.route("GET", "/segments/{name}", P.READ_CUSTOMERS)
    def get_segment(name: str) -> dict[str, Any]:
        """Return one segment; its members are `GET /customers?segment=NAME`."""
        with engine.connect() as conn:
            return segments.get(conn, name)

    @guard.route("DELETE", "/segments/{name}", P.MANAGE_SEGMENTS)
    def delete_segment(name: str, request: Request) -> dict[str, Any]:
        """Delete a segment and its memberships."""
        with write_transaction(engine) as conn:
            segments.delete_segment(conn, name, actor=audit_actor(request))
        return {"deleted": name}
