"""Keep a customer's answers: from the personal link's page, or sent by another system.

One answer per invitation. A second visit shows it, and it may be changed for the survey's
``edit_hours`` after it was first given; after that it is final. Every answer is checked
against the survey's questions (``validation.check``) before anything is stored.

Each new answer writes ``survey_answered`` to the event feed — survey, kind, score, band —
so any playbook can start from it; a change that moves the score writes another one
(``edited: true``). An NPS score is kept in ``survey_responses`` too, where the NPS figures
and the ``last_nps`` feature read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.surveys import followups, repository, service
from tenure.domains.surveys.models import InvitationStatus
from tenure.domains.surveys.service import StoredSurvey
from tenure.domains.surveys.validation import Checked, check
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tenure.kit.timeutil import as_utc


@dataclass(frozen=True)
class Opened:
    """What a personal link leads to: its state, the survey, the invitation and any answer.

    ``state``: ``invalid`` (no such link), ``expired``, ``skipped`` (held back), ``open``
    (not answered yet), ``answered`` (may still be changed: ``editable``).
    """

    state: str
    survey: StoredSurvey | None = None
    invitation: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None
    editable: bool = False


def editable(survey: StoredSurvey, answer: dict[str, Any], now: datetime) -> bool:
    """Return whether an answer may still be changed."""
    given: datetime = answer["answered_at"]
    return as_utc(now) < given + timedelta(hours=survey.spec.edit_hours)


def open_link(conn: Connection, invitation_id: int | None, now: datetime) -> Opened:
    """Return what the link of invitation ``invitation_id`` shows now."""
    found = None if invitation_id is None else repository.invitation(conn, invitation_id)
    if found is None:
        return Opened("invalid")
    survey = service.by_id(conn, int(found["survey_id"]))
    if found["status"] != InvitationStatus.INVITED.value:
        return Opened("skipped", survey, found)
    answer = repository.answer_of_invitation(conn, int(found["id"]))
    if answer is not None:
        return Opened("answered", survey, found, answer, editable(survey, answer, now))
    if as_utc(now) >= found["expires_at"]:
        return Opened("expired", survey, found)
    return Opened("open", survey, found)


@dataclass(frozen=True)
class Saved:
    """What saving did: the answer's id, whether it was new, and the checked values."""

    answer_id: int
    created: bool
    checked: Checked


def _event(
    conn: Connection,
    survey: StoredSurvey,
    answer_id: int,
    customer_id: int,
    checked: Checked,
    at: datetime,
    source: EventSource,
    edit: int = 0,
) -> None:
    properties: dict[str, Any] = {
        "survey": survey.key,
        "kind": survey.spec.kind,
        "score": checked.score,
        "band": checked.band,
        "answer_id": answer_id,
    }
    topic = checked.answers.get("topic")
    if isinstance(topic, str):
        properties["topic"] = topic
    if edit:
        properties["edited"] = True
    key = f"survey-answer:{answer_id}" + (f":edit:{edit}" if edit else "")
    feed.append(
        conn,
        source,
        [
            feed.NewEvent(
                key=key,
                customer_id=customer_id,
                type=SystemEventType.SURVEY_ANSWERED,
                occurred_at=at,
                properties=properties,
            )
        ],
        skip_existing=True,
    )


def _response(
    conn: Connection, survey: StoredSurvey, customer_id: int, checked: Checked, at: datetime
) -> None:
    if survey.spec.kind == "nps" and checked.score is not None:
        repository.write_response(conn, customer_id, survey.key, checked.score, checked.comment, at)


def _follow_up(
    conn: Connection, answer_id: int, invitation_id: int | None, checked: Checked, now: datetime
) -> None:
    """Reopen a follow-up on a poor "did we resolve it?" answer; route any other answer."""
    if invitation_id is not None and followups.is_check(conn, invitation_id):
        followups.on_check_answer(conn, invitation_id, checked.band, now)
    else:
        followups.route(conn, answer_id, now)


def _refuse(checked: Checked) -> None:
    if checked.mistakes:
        question, problem = next(iter(checked.mistakes.items()))
        raise InvalidInput(f"answers.{question}: {problem}")


def answer_invitation(
    conn: Connection, invitation_id: int, raw: dict[str, Any], language: str, now: datetime
) -> Saved:
    """Keep the answers given through a personal link (new, or changed within the window).

    Raises ``InvalidInput`` (the first mistake, naming its question), ``NotFound`` for a link
    that leads nowhere, ``Conflict`` for an expired link or an answer past its edit window.
    """
    now = as_utc(now)
    opened = open_link(conn, invitation_id, now)
    if opened.survey is None or opened.invitation is None or opened.state == "skipped":
        raise NotFound("this survey link is not valid")
    if opened.state == "expired":
        raise Conflict("this survey link has expired")
    if opened.state == "answered" and not opened.editable:
        raise Conflict("this answer can no longer be changed")
    survey, invitation = opened.survey, opened.invitation
    checked = check(survey.spec, raw)
    _refuse(checked)
    customer_id = int(invitation["customer_id"])
    values = {
        "answers": checked.answers,
        "score": checked.score,
        "band": checked.band,
        "comment": checked.comment,
        "language": language,
    }
    if opened.answer is None:
        answer_id = repository.insert_answer(
            conn,
            {
                **values,
                "survey_id": survey.id,
                "invitation_id": invitation_id,
                "customer_id": customer_id,
                "source": "page",
                "answered_at": now,
                "edits": 0,
            },
        )
        repository.set_invitation(conn, invitation_id, {"answered_at": now})
        _event(conn, survey, answer_id, customer_id, checked, now, EventSource.CUSTOMER)
        _response(conn, survey, customer_id, checked, now)
        _follow_up(conn, answer_id, invitation_id, checked, now)
        return Saved(answer_id, True, checked)
    before = opened.answer
    answer_id, edits = int(before["id"]), int(before["edits"]) + 1
    repository.update_answer(conn, answer_id, {**values, "changed_at": now, "edits": edits})
    if before["score"] != checked.score:
        _event(conn, survey, answer_id, customer_id, checked, now, EventSource.CUSTOMER, edits)
    _response(conn, survey, customer_id, checked, before["answered_at"])
    return Saved(answer_id, False, checked)


def answer_from_elsewhere(
    conn: Connection,
    *,
    survey_key: str,
    customer_id: int,
    sender_id: str,
    raw: dict[str, Any],
    answered_at: datetime,
    language: str,
) -> Saved:
    """Keep an answer another system collected, once per its ``sender_id``.

    Sending the same id again returns the first answer and changes nothing.
    """
    survey = service.get(conn, survey_key)
    if not sender_id or len(sender_id) > 200:
        raise InvalidInput("id: give the sender's id of the answer (1–200 characters)")
    found = repository.answer_of_sender(conn, survey.id, sender_id)
    if found is not None:
        return Saved(int(found["id"]), False, check(survey.spec, found["answers"]))
    checked = check(survey.spec, raw)
    _refuse(checked)
    at = as_utc(answered_at)
    answer_id = repository.insert_answer(
        conn,
        {
            "survey_id": survey.id,
            "invitation_id": None,
            "customer_id": customer_id,
            "sender_id": sender_id,
            "answers": checked.answers,
            "score": checked.score,
            "band": checked.band,
            "comment": checked.comment,
            "language": language,
            "source": "api",
            "answered_at": at,
            "edits": 0,
        },
    )
    _event(conn, survey, answer_id, customer_id, checked, at, EventSource.API)
    _response(conn, survey, customer_id, checked, at)
    _follow_up(conn, answer_id, None, checked, at)
    return Saved(answer_id, True, checked)
