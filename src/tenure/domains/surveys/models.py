"""ORM model of a survey response."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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
