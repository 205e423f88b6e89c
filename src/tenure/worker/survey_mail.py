"""A playbook's send_survey step: invite the customer, then email them their personal link.

The invitation and the email are written in the step's transaction (exactly once, under the
step's key); the email is the template named by the step, rendered with ``survey.title``,
``survey.url`` and ``survey.scores`` (the numbers of an NPS, CSAT or CES scale, each with its
own link that opens the page with that number chosen) besides the usual variables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tenure.domains.automation import steps
from tenure.domains.automation.definition import Step
from tenure.domains.messaging import personal
from tenure.domains.messaging import service as messaging
from tenure.domains.surveys import repository as survey_rows
from tenure.domains.surveys import service as surveys
from tenure.kit.errors import NotFound
from tenure.kit.settings import Settings

Sender = Callable[[Connection, str, dict[str, Any], Step], dict[str, Any]]


def variables(survey: surveys.StoredSurvey, url: str, lang: str) -> dict[str, Any]:
    """Return what a survey email's template may say about the survey."""
    scored = survey.spec.scored() if survey.spec.kind != "form" else None
    numbers = scored.numbers() if scored is not None else []
    return {
        "survey": {
            "key": survey.key,
            "kind": survey.spec.kind,
            "title": survey.spec.title.pick(lang),
            "question": scored.label.pick(lang) if scored is not None else None,
            "url": url,
            "scores": [{"score": n, "url": f"{url}?score={n}"} for n in numbers],
        }
    }


def sender(settings: Settings, now: datetime) -> Sender:
    """Return the step's sender for one tick."""

    def send_survey(conn: Connection, key: str, row: dict[str, Any], step: Step) -> dict[str, Any]:
        spec = step.send_survey
        if spec is None:  # pragma: no cover  (only send_survey steps are handed over)
            raise steps.StepFailed("send_survey: the step names no survey")
        source = f"playbook:{row['playbook']}"
        try:
            invited = surveys.invite(
                conn,
                survey_key=spec.survey,
                customer_id=row["customer_id"],
                key=key,
                now=now,
                settings=settings,
                source=source,
            )
            survey = surveys.get(conn, spec.survey)
        except NotFound as exc:
            raise steps.StepFailed(f"send_survey: {exc.message}") from None
        detail: dict[str, Any] = {
            "invitation_id": invited.invitation_id,
            "status": invited.status,
            "reason": invited.reason,
        }
        if invited.url is None:
            return detail  # held back: no email
        lang = personal.language_of(conn, row["customer_id"], settings)
        queued = messaging.queue_email(
            conn,
            key=key,
            customer_id=row["customer_id"],
            template=spec.template,
            category=row["category"],
            source=source,
            now=now,
            settings=settings,
            priority=row.get("priority"),
            send_window=spec.send_window,
            extra=variables(survey, invited.url, lang),
        )
        if invited.reason is None:
            survey_rows.set_invitation(
                conn, invited.invitation_id, {"message_id": queued.message_id}
            )
        return detail | {"message_id": queued.message_id, "email": queued.status}

    return send_survey
