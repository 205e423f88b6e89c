"""Reading one customer: the 360 view (lists are in ``listing``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import InstrumentedAttribute

from tenure.domains.customers.models import Customer
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.scoring import views
from tenure.domains.scoring.models import SCORE_COLUMNS, ScoringRun
from tenure.kit.errors import NotFound
from tenure.storage.rows import plain_row

PROFILE: tuple[InstrumentedAttribute[Any], ...] = (
    Customer.external_id,
    Customer.name,
    Customer.email,
    Customer.company,
    Customer.industry,
    Customer.company_size,
    Customer.country,
    Customer.city,
    Customer.timezone,
    Customer.acquisition_channel,
    Customer.acquired_at,
    Customer.owner_id,
    Customer.tags,
    Customer.email_consent,
    Customer.erased_at,
)


def profile(conn: Connection, customer_id: int) -> dict[str, Any]:
    """Return one customer: profile, current stage with its reason, scores, stage history.

    Two queries: the customer with their current stage and scores in one row (the views are
    looked up by the run's primary key), then the stage in each finished run, kept where it
    changed.
    """
    stages, scores = views.customer_stages, views.customer_scores
    stage_columns = ("stage", "since", "rule", "numbers")
    row = (
        conn.execute(
            select(
                Customer.id,
                *PROFILE,
                *(stages.c[c].label(f"stage__{c}") for c in stage_columns),
                scores.c.customer_id.label("scored"),
                *(scores.c[c].label(f"score__{c}") for c in SCORE_COLUMNS),
            )
            .select_from(Customer)
            .outerjoin(stages, stages.c.customer_id == Customer.id)
            .outerjoin(scores, scores.c.customer_id == Customer.id)
            .where(Customer.id == customer_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    past = conn.execute(
        select(ScoringRun.as_of, StageHistory.stage, StageHistory.rule)
        .join(ScoringRun, ScoringRun.id == StageHistory.run_id)
        .where(StageHistory.customer_id == customer_id, ScoringRun.status == "done")
        .order_by(ScoringRun.as_of, ScoringRun.id)
    ).mappings()
    found = plain_row(row)
    stage = {c: found.pop(f"stage__{c}") for c in stage_columns}
    score = {c: found.pop(f"score__{c}") for c in SCORE_COLUMNS}
    scored = found.pop("scored") is not None
    return {
        **found,
        "stage": stage if stage["stage"] is not None else None,
        "scores": score if scored else None,
        "stage_history": _moves(past),
    }


def _moves(past: Iterable[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """Keep the runs where the stage changed.

    Every run records the stage, even an unchanged one, and "declining, declining, declining"
    would read as three moves.
    """
    moves: list[dict[str, Any]] = []
    for row in past:
        if not moves or moves[-1]["stage"] != row["stage"]:
            moves.append(dict(row))
    return moves


def count(conn: Connection) -> int:
    """Return how many customers the store holds."""
    return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())
