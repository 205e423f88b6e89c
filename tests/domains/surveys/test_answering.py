"""Answers: one per invitation, changeable within the window, checked, on the event feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.events.models import Event
from tenure.domains.surveys import answering, service
from tenure.domains.surveys.models import SurveyResponse
from tenure.kit.errors import Conflict, InvalidInput
from tests.domains.surveys.helpers import FORM, NOW, SETTINGS, customer, survey


def _events(conn: Connection, cid: int) -> list[tuple[str, str, dict[str, object]]]:
    rows = conn.execute(
        select(Event.type, Event.source, Event.properties)
        .where(Event.customer_id == cid)
        .order_by(Event.id)
    )
    return [(t, s, p) for t, s, p in rows]


def test_an_answer_is_kept_once_changed_within_the_window_then_final(
    conn: Connection, session: Session
) -> None:
    survey(conn, edit_hours=48)
    cid = customer(session)
    invited = service.invite(
        conn, survey_key="nps", customer_id=cid, key="k", now=NOW, settings=SETTINGS
    )
    at = NOW + timedelta(hours=2)
    assert answering.open_link(conn, invited.invitation_id, at).state == "open"
    saved = answering.answer_invitation(
        conn, invited.invitation_id, {"score": "3", "comment": "slow delivery"}, "en", at
    )
    assert saved.created and (saved.checked.score, saved.checked.band) == (3, "detractor")
    opened = answering.open_link(conn, invited.invitation_id, at + timedelta(hours=1))
    assert opened.state == "answered" and opened.editable
    assert opened.answer is not None and opened.answer["answers"] == {
        "score": 3,
        "comment": "slow delivery",
    }
    # changed the next day: the same answer, a second event (the score moved)
    later = at + timedelta(hours=24)
    changed = answering.answer_invitation(conn, invited.invitation_id, {"score": "7"}, "zh", later)
    assert changed.answer_id == saved.answer_id and not changed.created
    events = _events(conn, cid)
    assert [(t, s) for t, s, _ in events] == [
        ("survey_answered", "customer"),
        ("survey_answered", "customer"),
    ]
    first, second = events[0][2], events[1][2]
    assert first == {
        "survey": "nps",
        "kind": "nps",
        "score": 3,
        "band": "detractor",
        "answer_id": saved.answer_id,
    }
    assert (second["score"], second["band"], second["edited"]) == (7, "passive", True)
    # the NPS figures read survey_responses: one row, with the changed score
    rows = conn.execute(
        select(SurveyResponse.score, SurveyResponse.comment).where(
            SurveyResponse.customer_id == cid
        )
    ).all()
    assert [tuple(r) for r in rows] == [(7, None)]
    # past the window the answer is final
    final = at + timedelta(hours=49)
    assert not answering.open_link(conn, invited.invitation_id, final).editable
    with pytest.raises(Conflict, match="no longer be changed"):
        answering.answer_invitation(conn, invited.invitation_id, {"score": "9"}, "en", final)


def test_expired_and_wrong_answers_are_refused_and_store_nothing(
    conn: Connection, session: Session
) -> None:
    survey(conn, link_days=3)
    cid = customer(session)
    invited = service.invite(
        conn, survey_key="nps", customer_id=cid, key="k", now=NOW, settings=SETTINGS
    )
    with pytest.raises(InvalidInput, match=r"answers\.score: give a number from 0 to 10"):
        answering.answer_invitation(conn, invited.invitation_id, {"score": "11"}, "en", NOW)
    with pytest.raises(InvalidInput, match=r"answers\.score: an answer is required"):
        answering.answer_invitation(conn, invited.invitation_id, {"comment": "hi"}, "en", NOW)
    late = NOW + timedelta(days=3)
    assert answering.open_link(conn, invited.invitation_id, late).state == "expired"
    with pytest.raises(Conflict, match="expired"):
        answering.answer_invitation(conn, invited.invitation_id, {"score": "9"}, "en", late)
    assert _events(conn, cid) == []


def test_answers_from_elsewhere_are_idempotent_by_the_senders_id(
    conn: Connection, session: Session
) -> None:
    survey(conn, **FORM)
    cid = customer(session)
    raw = {"topic": "product", "stars": 5, "idea": "dark mode"}

    def send(body: dict[str, object]) -> answering.Saved:
        return answering.answer_from_elsewhere(
            conn,
            survey_key="suggestions",
            customer_id=cid,
            sender_id="app-991",
            raw=body,
            answered_at=NOW,
            language="en",
        )

    first = send(raw)
    again = send({"topic": "billing"})  # the same id: the first answer stands
    assert first.created and not again.created and again.answer_id == first.answer_id
    events = _events(conn, cid)
    assert len(events) == 1
    assert events[0][1] == "api"
    assert events[0][2] | {} == {
        "survey": "suggestions",
        "kind": "form",
        "score": 5,
        "band": "satisfied",
        "answer_id": first.answer_id,
        "topic": "product",
    }
    # a form answer is not an NPS score
    assert (
        conn.execute(select(SurveyResponse.id).where(SurveyResponse.customer_id == cid)).all() == []
    )
