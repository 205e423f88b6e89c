"""ORM models of the stage history and the stage transitions each scoring run writes.

The current stage of every customer is a view of the latest run's history
(``tenure.domains.scoring.views.customer_stages``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class StageHistory(Base):
    """Every customer's stage in every run, since when, and the rule and numbers that decided."""

    __tablename__ = "stage_history"

    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    since: Mapped[date]
    rule: Mapped[str] = mapped_column(String(64))
    numbers: Mapped[dict[str, Any] | None]  # the figures the deciding rule read


class StageTransition(Base):
    """A move between stages: who, from, to, when, which rule, and the numbers that fired it."""

    __tablename__ = "stage_transitions"
    __table_args__ = (Index("ix_stage_transitions_customer_id_as_of", "customer_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    as_of: Mapped[date]
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    numbers: Mapped[dict[str, Any] | None]
