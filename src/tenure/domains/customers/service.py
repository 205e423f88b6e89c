"""Reading customers with their current stage and scores: pages for lists, one for a 360.

Pages use a cursor (the last id seen), not an offset: page 1,000 of a million customers
costs what page 1 costs, and rows added meanwhile never shift a page.
"""

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
LISTED_SCORES = ("clv", "p_alive", "churn_risk", "health_score", "rfm_segment")


def page(
    conn: Connection, *, after: int | None = None, limit: int = 50, stage: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Return up to ``limit`` customers after id ``after`` and the cursor of the next page."""
    customers = metadata().tables["customers"]
    stages, scores = views.customer_stages, views.customer_scores
    query = (
        select(
            customers.c.id,
            *(customers.c[c] for c in ("external_id", "name", "email", "acquisition_channel")),
            stages.c.stage,
            *(scores.c[c] for c in LISTED_SCORES),
        )
        .select_from(customers)
        .outerjoin(stages, stages.c.customer_id == customers.c.id)
        .outerjoin(scores, scores.c.customer_id == customers.c.id)
        .order_by(customers.c.id)
        .limit(limit + 1)  # one more tells whether a next page exists
    )
    if after is not None:
        query = query.where(customers.c.id > after)
    if stage is not None:
        query = query.where(stages.c.stage == stage)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)


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
