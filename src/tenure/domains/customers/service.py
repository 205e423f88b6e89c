"""Reading one customer: the 360 view (lists are in ``listing``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.registry import metadata
from tenure.domains.scoring import views
from tenure.domains.scoring.models import SCORE_COLUMNS
from tenure.kit.errors import NotFound

PROFILE = (
    "external_id",
    "name",
    "email",
    "company",
    "industry",
    "company_size",
    "country",
    "city",
    "acquisition_channel",
    "acquired_at",
    "owner_id",
    "tags",
    "email_consent",
)


def profile(conn: Connection, customer_id: int) -> dict[str, Any]:
    """Return one customer: profile, current stage with its reason, scores, stage history."""
    t = metadata().tables
    customers, history, runs = t["customers"], t["stage_history"], t["scoring_runs"]
    row = (
        conn.execute(
            select(customers.c.id, *(customers.c[c] for c in PROFILE)).where(
                customers.c.id == customer_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    stages, scores = views.customer_stages, views.customer_scores
    stage = (
        conn.execute(
            select(stages.c.stage, stages.c.since, stages.c.rule, stages.c.numbers).where(
                stages.c.customer_id == customer_id
            )
        )
        .mappings()
        .first()
    )
    score = (
        conn.execute(
            select(*(scores.c[c] for c in SCORE_COLUMNS)).where(scores.c.customer_id == customer_id)
        )
        .mappings()
        .first()
    )
    past = conn.execute(
        select(runs.c.as_of, history.c.stage, history.c.rule)
        .join(runs, runs.c.id == history.c.run_id)
        .where(history.c.customer_id == customer_id, runs.c.status == "done")
        .order_by(runs.c.as_of, runs.c.id)
    ).mappings()
    return {
        **dict(row),
        "stage": dict(stage) if stage else None,
        "scores": dict(score) if score else None,
        "stage_history": [dict(p) for p in past],
    }
