"""Reading one customer: the 360 view (lists are in ``listing``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.registry import metadata
from tenure.domains.scoring import views
from tenure.domains.scoring.models import SCORE_COLUMNS
from tenure.kit.errors import NotFound
from tenure.storage.rows import plain_row

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
    """Return one customer: profile, current stage with its reason, scores, stage history.

    Two queries: the customer with their current stage and scores in one row (the views are
    looked up by the run's primary key), then the stage in each finished run.
    """
    t = metadata().tables
    customers, history, runs = t["customers"], t["stage_history"], t["scoring_runs"]
    stages, scores = views.customer_stages, views.customer_scores
    stage_columns = ("stage", "since", "rule", "numbers")
    row = (
        conn.execute(
            select(
                customers.c.id,
                *(customers.c[c] for c in PROFILE),
                *(stages.c[c].label(f"stage__{c}") for c in stage_columns),
                scores.c.customer_id.label("scored"),
                *(scores.c[c].label(f"score__{c}") for c in SCORE_COLUMNS),
            )
            .select_from(customers)
            .outerjoin(stages, stages.c.customer_id == customers.c.id)
            .outerjoin(scores, scores.c.customer_id == customers.c.id)
            .where(customers.c.id == customer_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    past = conn.execute(
        select(runs.c.as_of, history.c.stage, history.c.rule)
        .join(runs, runs.c.id == history.c.run_id)
        .where(history.c.customer_id == customer_id, runs.c.status == "done")
        .order_by(runs.c.as_of, runs.c.id)
    ).mappings()
    found = plain_row(row)
    stage = {c: found.pop(f"stage__{c}") for c in stage_columns}
    score = {c: found.pop(f"score__{c}") for c in SCORE_COLUMNS}
    scored = found.pop("scored") is not None
    return {
        **found,
        "stage": stage if stage["stage"] is not None else None,
        "scores": score if scored else None,
        "stage_history": [dict(p) for p in past],
    }
