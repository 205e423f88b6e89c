"""``tenure demo check``: the NPS the store's answers give, by each respondent's true state.

The truth (``surveys.json``, ``tenure.demo.listening``) says what state each respondent was
truly in when they answered: healthy, declining (a high true dropout rate) or leaving (truly
gone within 180 days). Their answers, as Tenure stored them, must give an NPS in that order —
healthy above declining above leaving — or the survey figures do not tell what is true.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, func, select

from tenure.demo.feedback import NPS
from tenure.demo.listening import STATES, nps
from tenure.domains.surveys.models import InvitationStatus, Survey, SurveyAnswer, SurveyInvitation


def check_surveys(conn: Connection, truth: dict[str, Any]) -> dict[str, Any]:
    """Return the store's NPS by true state, the response share, and whether they are ordered."""
    state_of = {int(r["invitation_id"]): r["state"] for r in truth["respondents"]}
    answers = conn.execute(
        select(SurveyAnswer.invitation_id, SurveyAnswer.score)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(Survey.key == NPS, SurveyAnswer.invitation_id.is_not(None))
    ).all()
    scores: dict[str, list[int]] = {state: [] for state in STATES}
    for invitation_id, score in answers:
        state = None if invitation_id is None else state_of.get(int(invitation_id))
        if state is not None and score is not None:
            scores[state].append(int(score))
    # the invitations made in the history: the worker's last tick (today) may make more
    until = datetime.fromisoformat(truth["until"]) if truth.get("until") else None
    made = select(func.count()).select_from(SurveyInvitation)
    made = made.join(Survey, Survey.id == SurveyInvitation.survey_id).where(
        Survey.key == NPS, SurveyInvitation.status == InvitationStatus.INVITED.value
    )
    if until is not None:
        made = made.where(SurveyInvitation.created_at < until)
    invited = conn.execute(made).scalar_one()
    figures = {state: nps(scores[state]) for state in STATES}
    by_state = [{"state": s, "answers": len(scores[s]), "nps": figures[s]} for s in STATES]
    known = [f for f in figures.values() if f is not None]
    ordered = None if len(known) < len(STATES) else all(a > b for a, b in pairwise(known))
    return {
        "survey": NPS,
        "invited": int(invited),
        "answered": len(answers),
        "response_share": len(answers) / invited if invited else None,
        "by_state": by_state,
        "ordered": ordered,
    }
