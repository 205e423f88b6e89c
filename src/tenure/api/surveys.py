"""Surveys: definitions, personal links (to embed), answers read and sent from elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine

from tenure.api.auth import Guard, audit_actor, caller
from tenure.api.params import PathId, QueryId
from tenure.domains.surveys import answering, figures, followups, routing, service, teams
from tenure.domains.surveys.schemas import (
    FollowupClose,
    IncomingAnswer,
    NewInvitation,
    RoutingFile,
    TeamChange,
)
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission as P
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction

BANDS = "promoter, passive, detractor, satisfied, neutral or unsatisfied"


def _survey(stored: service.StoredSurvey) -> dict[str, Any]:
    return {
        "key": stored.key,
        "kind": stored.spec.kind,
        "active": stored.active,
        "definition": stored.spec.model_dump(mode="json"),
    }


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the survey routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/surveys", P.READ_REPORTS)
    def list_surveys() -> dict[str, Any]:
        """List every survey with its definition."""
        with engine.connect() as conn:
            return {"items": [_survey(s) for s in service.listing(conn)]}

    @guard.route("GET", "/surveys/{survey}", P.READ_REPORTS)
    def get_survey(survey: str) -> dict[str, Any]:
        """Return one survey with its definition."""
        with engine.connect() as conn:
            return _survey(service.get(conn, survey))

    @guard.route("PUT", "/surveys/{survey}", P.MANAGE_PLAYBOOKS)
    def put_survey(survey: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create or change a survey (docs/surveys.md: kind, title, questions, cooldowns …)."""
        spec = service.parse({**body, "key": survey})
        with write_transaction(engine) as conn:
            stored, created = service.apply(conn, spec, utcnow())
        return {**_survey(stored), "created": created}

    @guard.route("POST", "/surveys/{survey}/invitations", P.MANAGE_PLAYBOOKS, status_code=201)
    def invite(survey: str, body: NewInvitation) -> dict[str, Any]:
        """Make a customer's personal link (once per `key`), with the HTML to embed it.

        The invitation keeps to the survey's sample and cooldowns: `status` is `skipped`
        (with `reason`) and there is no link when it is held back.
        """
        with write_transaction(engine) as conn:
            customer_id = service.customer_of(conn, body.customer_id, body.customer_external_id)
            made = service.invite(
                conn,
                survey_key=survey,
                customer_id=customer_id,
                key=body.key,
                now=utcnow(),
                settings=settings,
                channel=body.channel,
                source="api",
            )
            title = service.get(conn, survey).spec.title.en
        return {
            "invitation_id": made.invitation_id,
            "status": made.status,
            "reason": made.reason,
            "url": made.url,
            "expires_at": made.expires_at,
            "embed": service.embed_code(made.url, title) if made.url else None,
        }

    @guard.route("GET", "/surveys/{survey}/invitations", P.READ_CUSTOMERS)
    def list_invitations(
        request: Request,
        survey: str,
        status: str | None = Query(None, description="invited or skipped."),
        after: QueryId = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """List a survey's invitations, newest first; `after` is the last id of a page."""
        with engine.connect() as conn:
            owners = access.owners_of(conn, caller(request), settings.access)
            items = service.invitations(
                conn, survey, status=status, after=after, limit=limit, owners=owners
            )
        return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}

    @guard.route("GET", "/surveys/{survey}/answers", P.READ_CUSTOMERS)
    def list_answers(
        request: Request,
        survey: str,
        band: str | None = Query(None, description=f"Only answers of this band: {BANDS}."),
        customer_id: QueryId = None,
        commented: bool = Query(False, description="Only answers with a comment."),
        after: QueryId = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """List a survey's answers with their customer, newest first."""
        with engine.connect() as conn:
            items = service.answers(
                conn,
                survey,
                band=band,
                customer_id=customer_id,
                commented=commented,
                after=after,
                limit=limit,
                owners=access.owners_of(conn, caller(request), settings.access),
            )
        return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}

    @guard.route("POST", "/surveys/{survey}/answers", P.IMPORT_DATA)
    def receive_answer(survey: str, body: IncomingAnswer) -> dict[str, Any]:
        """Keep an answer collected elsewhere, once per its `id`; 422 names a wrong answer.

        It reaches the event feed as `survey_answered` (score, band), like one given on the
        survey page.
        """
        with write_transaction(engine) as conn:
            customer_id = service.customer_of(conn, body.customer_id, body.customer_external_id)
            saved = answering.answer_from_elsewhere(
                conn,
                survey_key=survey,
                customer_id=customer_id,
                sender_id=body.id,
                raw=body.answers,
                answered_at=body.answered_at,
                language=body.language,
            )
        return {
            "answer_id": saved.answer_id,
            "created": saved.created,
            "score": saved.checked.score,
            "band": saved.checked.band,
        }

    @guard.route("GET", "/surveys/{survey}/figures", P.READ_REPORTS)
    def survey_figures(survey: str) -> dict[str, Any]:
        """Return a survey's KPIs: response rate, score by month, SLA, time to contact, recovery."""
        with engine.connect() as conn:
            return figures.survey_figures(conn, survey)

    @guard.route("PUT", "/surveys/{survey}/routing", P.MANAGE_PLAYBOOKS)
    def put_routing(survey: str, body: RoutingFile) -> dict[str, Any]:
        """Keep a survey's routing rules (YAML); 422 names each mistake's line and field."""
        if routing.parse(body.yaml, body.file).survey != survey:
            raise InvalidInput(f"survey: the file routes another survey than {survey!r}")
        with write_transaction(engine) as conn:
            kept = routing.apply(conn, body.yaml, body.file, utcnow())
        return {"survey": kept.survey, "rules": [r.name for r in kept.rules]}

    @guard.route("GET", "/teams", P.READ_REPORTS)
    def list_teams() -> dict[str, Any]:
        """List the teams with their lead and active members (users whose `team` is its key)."""
        with engine.connect() as conn:
            return {"items": teams.listing(conn)}

    @guard.route("GET", "/teams/{team}", P.READ_REPORTS)
    def get_team(team: str) -> dict[str, Any]:
        """Return a team with its follow-ups: open, due, overdue, root causes by month."""
        with engine.connect() as conn:
            return teams.get(conn, team) | {"board": figures.team_board(conn, team, utcnow())}

    @guard.route("PUT", "/teams/{team}", P.MANAGE_PLAYBOOKS)
    def put_team(team: str, body: TeamChange, request: Request) -> dict[str, Any]:
        """Create or change a team: names, lead, assign (round_robin or owner), sla_hours."""
        with write_transaction(engine) as conn:
            return teams.put(conn, audit_actor(request), team, body.sent(), utcnow())

    @guard.route("POST", "/followups/{task_id}/close", P.MANAGE_TASKS)
    def close_followup(task_id: PathId, body: FollowupClose, request: Request) -> dict[str, Any]:
        """Complete a survey follow-up's task with its outcome and root cause.

        `ask`: send the routing rule's "did we resolve it?" survey; a poor answer reopens it.
        """
        with write_transaction(engine) as conn:
            access.check_task(conn, caller(request), settings.access, task_id)
            return followups.close(
                conn,
                audit_actor(request),
                task_id,
                outcome=body.outcome,
                root_cause=body.root_cause,
                note=body.note,
                ask=body.ask,
                now=utcnow(),
                settings=settings,
            )
