"""ORM models of scoring runs, run requests, score history and KPI snapshots.

A run's stage history and transitions are the lifecycle domain's (``tenure.domains.lifecycle``).
The current stage and scores of every customer are views of the latest run's history
(``views.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class ScoringRun(Base):
    """One scoring run: as of which day, with which configuration and data, and what it found."""

    __tablename__ = "scoring_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))  # running, done, failed
    preset: Mapped[str] = mapped_column(String(32))
    config_hash: Mapped[str] = mapped_column(String(64))
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any] | None]
    parameters: Mapped[dict[str, Any] | None]


class RunRequest(Base):
    """A scoring run someone asked for (API or web): queued, running, then done or failed."""

    __tablename__ = "run_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_runs.id"))
    error: Mapped[str | None] = mapped_column(String(2000))
    # the worker that runs it holds it until lease_until and renews it while it works; a
    # request whose lease ran out (its worker died) is taken over by the next worker
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class ScoreColumns:
    """What a run says of a customer's value, segment and health (current and history alike)."""

    p_alive: Mapped[float | None]
    expected_purchases_12m: Mapped[float | None]
    expected_spend: Mapped[float | None]
    paid_revenue: Mapped[float | None]  # paid orders up to the as-of day (0 for a lead)
    gross_margin: Mapped[float | None]  # margin × paid_revenue: the gross margin so far
    r_score: Mapped[int | None] = mapped_column(SmallInteger)
    f_score: Mapped[int | None] = mapped_column(SmallInteger)
    m_score: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_segment: Mapped[str | None] = mapped_column(String(32))
    value_quadrant: Mapped[str | None] = mapped_column(String(32))
    health_score: Mapped[float | None]
    health_band: Mapped[str | None] = mapped_column(String(8))
    health_reasons: Mapped[list[str] | None]
    lead_fit: Mapped[float | None]
    lead_engagement: Mapped[float | None]
    lead_score: Mapped[float | None]
    lead_band: Mapped[str | None] = mapped_column(String(8))
    lead_conversion: Mapped[float | None]  # P(first purchase within the horizon), learned
    churn_risk: Mapped[float | None]
    churn_reasons: Mapped[list[dict[str, Any]] | None]  # [{feature, value, push}], riskiest first


# Every column a run writes per customer beside its stage, in one place for writers and readers.
SCORE_COLUMNS: tuple[str, ...] = ("clv", *ScoreColumns.__annotations__)
REASON_COLUMNS = ("health_reasons", "churn_reasons")  # JSON lists: read, not filtered on


class ScoreHistory(ScoreColumns, Base):
    """Every customer's value, segment and health in every run."""

    __tablename__ = "score_history"
    # the customer list sorts the current run by value or risk (the web app's customers page)
    __table_args__ = (
        Index("ix_score_history_run_id_clv", "run_id", "clv"),
        Index("ix_score_history_run_id_churn_risk", "run_id", "churn_risk"),
        Index("ix_score_history_run_id_lead_score", "run_id", "lead_score"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    clv: Mapped[float | None]


class KpiSnapshot(Base):
    """The KPIs a run computed (docs/metrics.md), kept with the run that computed them."""

    __tablename__ = "kpi_snapshots"

    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"), primary_key=True)
    as_of: Mapped[date] = mapped_column(index=True)
    data: Mapped[dict[str, Any]]
