"""Figures behind the overview's charts that a scoring run does not keep.

Value by stage, the CLV distribution and NPS month by month, read from the current views.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from tenure.analytics.stages import STAGES
from tenure.domains.scoring import views
from tenure.domains.surveys.models import SurveyResponse

# the CLV histogram's bucket edges, in the business currency; the last bucket is open
CLV_EDGES = (0, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


def value_by_stage(conn: Connection) -> list[dict[str, Any]]:
    """Return per current stage, in lifecycle order: customers, paid revenue, gross margin, CLV.

    Paid revenue and gross margin are so far (the latest run's), CLV is predicted.
    """
    stages, scores = views.customer_stages, views.customer_scores
    rows = conn.execute(
        select(
            stages.c.stage,
            func.count(),
            func.coalesce(func.sum(scores.c.paid_revenue), 0.0),
            func.coalesce(func.sum(scores.c.gross_margin), 0.0),
            func.coalesce(func.sum(scores.c.clv), 0.0),
        )
        .select_from(stages)
        .outerjoin(scores, scores.c.customer_id == stages.c.customer_id)
        .group_by(stages.c.stage)
    )
    found = [
        {
            "stage": s,
            "customers": int(n),
            "paid_revenue": float(r),
            "gross_margin": float(m),
            "clv": float(v),
        }
        for s, n, r, m, v in rows
    ]
    return sorted(found, key=lambda row: _lifecycle_rank(row["stage"]))


def _lifecycle_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def clv_histogram(conn: Connection) -> list[dict[str, Any]]:
    """Return how many customers' predicted CLV falls in each bucket of ``CLV_EDGES``."""
    clv = views.customer_scores.c.clv
    bucket = case(
        *((clv < upper, literal(i)) for i, upper in enumerate(CLV_EDGES[1:])),
        else_=literal(len(CLV_EDGES) - 1),
    )
    counts: dict[int, int] = dict(
        conn.execute(
            select(bucket, func.count())
            .select_from(views.customer_scores)
            .where(clv.is_not(None))
            .group_by(bucket)
        ).all()
    )
    return [
        {
            "lower": lower,
            "upper": CLV_EDGES[i + 1] if i + 1 < len(CLV_EDGES) else None,
            "customers": int(counts.get(i, 0)),
        }
        for i, lower in enumerate(CLV_EDGES)
    ]


def nps_by_month(conn: Connection, months: int = 24) -> list[dict[str, Any]]:
    """Return NPS (% promoters 9–10 − % detractors 0–6) and answers per UTC month, oldest first."""
    if conn.dialect.name == "postgresql":
        month = func.to_char(SurveyResponse.answered_at, "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", SurveyResponse.answered_at)
    promoters = func.sum(case((SurveyResponse.score >= 9, 1), else_=0))
    detractors = func.sum(case((SurveyResponse.score <= 6, 1), else_=0))
    rows = conn.execute(
        select(month, func.count(), promoters, detractors)
        .where(SurveyResponse.survey == "nps")
        .group_by(month)
        .order_by(month.desc())
        .limit(months)
    ).all()
    return [
        {"month": m, "responses": int(n), "nps": round(100.0 * (int(p) - int(d)) / n, 1)}
        for m, n, p, d in reversed(rows)
    ]
