"""ORM models of surveys: imported responses, definitions, invitations and answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class SurveyResponse(Base):
    """A customer's 0–10 answer to a survey (NPS: "how likely are you to recommend us?")."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("customer_id", "survey", "answered_at"),
        CheckConstraint("score >= 0 AND score <= 10", name="score_0_to_10"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    survey: Mapped[str] = mapped_column(String(64), default="nps")
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(index=True)


class Survey(Base):
    """A survey's definition (``definition.SurveySpec`` as JSON), by its key."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InvitationStatus(StrEnum):
    """An invitation was made (``invited``) or held back (``skipped``, with the reason)."""

    INVITED = "invited"
    SKIPPED = "skipped"


class SurveyInvitation(Base):
    """One customer asked one survey: the personal link's row, made once per idempotency key."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        Index("ix_survey_invitations_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # email, link (embedded), api
    source: Mapped[str | None] = mapped_column(String(100))  # playbook:<name>, api, cli
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


class SurveyAnswer(Base):
    """A customer's answers to a survey: through a personal link, or sent by another system.

    One per invitation (``invitation_id`` unique); one per sender's id for answers that came
    through the API (``survey_id``, ``sender_id`` unique), so sending it again changes nothing.
    """

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "sender_id"),
        Index("ix_survey_answers_survey_id_answered_at", "survey_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_invitations.id"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    sender_id: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]]
    score: Mapped[int | None]
    band: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))  # page, api
    answered_at: Mapped[datetime]
    changed_at: Mapped[datetime | None]
    edits: Mapped[int] = mapped_column(default=0)


class Team(Base):
    """A team that acts on feedback: its members are the users whose ``team`` is its key.

    ``lead_id`` gets the overdue follow-ups; ``assign`` (round_robin or owner) and
    ``sla_hours`` are what a routing rule uses unless it says otherwise.
    """

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(63), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assign: Mapped[str] = mapped_column(String(16), default="round_robin")
    sla_hours: Mapped[int] = mapped_column(default=48)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SurveyRouting(Base):
    """The ordered routing rules of one survey's answers (``*``: of every survey's)."""

    __tablename__ = "survey_routings"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey: Mapped[str] = mapped_column(String(64), unique=True)
    rules: Mapped[list[dict[str, Any]]]
    source: Mapped[str] = mapped_column(Text)  # the YAML it came from
    file: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime]


class SurveyFollowup(Base):
    """An answer routed to a team: its task, the SLA, and how the loop was closed."""

    __tablename__ = "survey_followups"
    __table_args__ = (Index("ix_survey_followups_team_closed_at", "team", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("survey_answers.id"), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    team: Mapped[str] = mapped_column(String(63))
    rule: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]  # the SLA: first contact by then
    escalated_at: Mapped[datetime | None]  # handed to the team lead, overdue
    contacted_at: Mapped[datetime | None]  # first closed as contacted or resolved
    outcome: Mapped[str | None] = mapped_column(String(16))  # contacted, resolved, not_reachable
    root_cause: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None]
    # the "did we resolve it?" survey sent on closing; a poor answer reopens the task
    check_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_invitations.id"), index=True
    )
    reopened: Mapped[int] = mapped_column(default=0)
