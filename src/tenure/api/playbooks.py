"""Playbooks: what each did, its steps and enrollments; publish, pause, resume, enroll by hand."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tenure.api.auth import Guard, audit_actor, caller
from tenure.api.params import QueryId
from tenure.domains.automation import editor, programme, reports, service
from tenure.domains.automation.loading import PlaybookInvalid
from tenure.domains.automation.models import EnrollmentStatus, PlaybookStatus
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission as P
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction

YAML_TYPES = ("text/yaml", "application/yaml", "application/x-yaml", "text/plain")


class ManualEnrollment(BaseModel):
    """A customer to enroll now, by the id your own systems know them by."""

    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=128, examples=["C000017"])


def mistakes_response(exc: PlaybookInvalid) -> JSONResponse:
    """Answer 422 with every mistake: the playbook's name, the line, the field, what is wrong."""
    body = {
        "error": "invalid",
        "detail": exc.message,
        "mistakes": [
            {"file": m.file, "line": m.line, "field": m.field, "message": m.message}
            for m in exc.mistakes
        ],
    }
    return JSONResponse(body, 422)


def detail(engine: Engine, name: str) -> dict[str, Any]:
    """Return one playbook: its current definition and source, versions and step counts."""
    with engine.connect() as conn:
        found = service.get(conn, name)
        counts = [c.as_dict() for c in reports.step_counts(conn, name)]
        versions = service.versions(conn, name)
        [summary] = [s for s in reports.summary(conn) if s.name == name]
    return {
        **summary.as_dict(),
        "definition": found.definition,
        "source": found.source,
        "versions": versions,
        "steps": counts,
    }


def _yaml_body_kind(request: Request) -> None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in YAML_TYPES:
        raise HTTPException(
            415, f"send the playbook as YAML (Content-Type: text/yaml), not {kind or 'nothing'}"
        )


YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string"}} for t in YAML_TYPES[:2]},
    }
}


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the playbook routes to ``router``."""
    guard = Guard(engine, router)
    templates = service.Templates(settings.messaging.templates_dir)

    @guard.route("GET", "/playbooks", P.READ_PLAYBOOKS)
    def list_playbooks() -> dict[str, Any]:
        """List every playbook with its enrollments counted by status and its conversion rate."""
        with engine.connect() as conn:
            return {"items": [s.as_dict() for s in reports.summary(conn)]}

    @guard.route("GET", "/playbooks/{name}", P.READ_PLAYBOOKS)
    def get_playbook(name: str) -> dict[str, Any]:
        """Return one playbook: current definition, YAML source, versions, each step's counts."""
        return detail(engine, name)

    @guard.route(
        "POST",
        "/playbooks",
        P.MANAGE_PLAYBOOKS,
        status_code=201,
        openapi_extra=YAML_BODY,
        responses={409: {"description": "A playbook of that name exists: PUT edits it."}},
    )
    async def post_playbook(request: Request) -> Any:
        """Publish the YAML sent as a new playbook, named by its ``name``.

        422 lists every mistake with its line (an email template that does not parse: the
        step and the template's line); 409 when the name is taken (PUT edits a playbook).
        """
        _yaml_body_kind(request)
        body = await request.body()
        actor = audit_actor(request)

        def create() -> Any:
            try:
                text = editor.decode(body, "playbook")
                with write_transaction(engine) as conn:
                    applied = editor.create(conn, actor, text, templates)
            except PlaybookInvalid as exc:
                return mistakes_response(exc)
            answer = {"name": applied.name, "version": applied.version, "outcome": applied.outcome}
            return JSONResponse(answer, 201)

        return await anyio.to_thread.run_sync(create)

    @guard.route(
        "PUT",
        "/playbooks/{name}",
        P.MANAGE_PLAYBOOKS,
        openapi_extra=YAML_BODY,
        responses={201: {"description": "A new playbook was published."}},
    )
    async def put_playbook(name: str, request: Request) -> Any:
        """Publish the YAML sent as the playbook's next version (unchanged text changes nothing).

        422 lists every mistake with its line (an email template that does not parse: the
        step and the template's line); a new name creates the playbook (201).
        """
        _yaml_body_kind(request)
        body = await request.body()
        actor = audit_actor(request)

        def publish() -> Any:
            try:
                text = editor.decode(body, name)
                with write_transaction(engine) as conn:
                    applied = editor.publish(conn, actor, name, text, templates)
            except PlaybookInvalid as exc:
                return mistakes_response(exc)
            answer = {"name": applied.name, "version": applied.version, "outcome": applied.outcome}
            return JSONResponse(answer, 201 if applied.outcome == "created" else 200)

        return await anyio.to_thread.run_sync(publish)

    @guard.route("GET", "/playbooks/{name}/versions", P.READ_PLAYBOOKS)
    def list_versions(name: str) -> dict[str, Any]:
        """List a playbook's published versions, newest first."""
        with engine.connect() as conn:
            return {"items": service.versions(conn, name)}

    @guard.route("GET", "/playbooks/{name}/versions/{version}", P.READ_PLAYBOOKS)
    def get_version(name: str, version: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Any:
        """Return one published version as it was published: its definition and YAML source."""
        with engine.connect() as conn:
            return vars(service.version(conn, name, version))

    @guard.route("POST", "/playbooks/{name}/pause", P.MANAGE_PLAYBOOKS)
    def pause(name: str, request: Request) -> dict[str, Any]:
        """Pause a playbook: nobody new enrolls, no step runs; its enrollments are held.

        ``active`` counts the enrollments in progress, ``held`` those whose step is due.
        """
        with write_transaction(engine) as conn:
            done = service.set_status(conn, audit_actor(request), name, PlaybookStatus.PAUSED)
        return done.as_dict()

    @guard.route("POST", "/playbooks/{name}/resume", P.MANAGE_PLAYBOOKS)
    def resume(name: str, request: Request) -> dict[str, Any]:
        """Resume a paused playbook: its held enrollments continue where they stopped."""
        with write_transaction(engine) as conn:
            done = service.set_status(conn, audit_actor(request), name, PlaybookStatus.ACTIVE)
        return done.as_dict()

    @guard.route("GET", "/playbooks/{name}/enrollments", P.READ_PLAYBOOKS)
    def list_enrollments(
        request: Request,
        name: str,
        status: Annotated[
            EnrollmentStatus | None, Query(description="Only the enrollments in this status.")
        ] = None,
        after: QueryId = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """List a playbook's enrollments, newest first, a page at a time."""
        with engine.connect() as conn:
            items, cursor = reports.enrollments(
                conn,
                name,
                status=status.value if status else None,
                after=after,
                limit=limit,
                owners=access.owners_of(conn, caller(request), settings.access),
            )
        return {"items": items, "next": cursor}

    @guard.route("POST", "/playbooks/{name}/enrollments", P.MANAGE_PLAYBOOKS, status_code=201)
    def enroll(name: str, body: ManualEnrollment, request: Request) -> dict[str, Any]:
        """Enroll a customer now; 422 when they do not qualify, 409 when enrolled already."""
        with write_transaction(engine) as conn:
            access.check_external_id(conn, caller(request), settings.access, body.customer)
            made = service.enroll(
                conn,
                audit_actor(request),
                name,
                body.customer,
                utcnow(),
                global_control=programme.global_control_share(conn, settings),
            )
        return {
            "id": made.id,
            "playbook": made.playbook,
            "customer_id": made.customer_id,
            "version": made.version,
        }
