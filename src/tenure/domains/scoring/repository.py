"""Queries of the scoring runs, their scores and KPIs (the stage history: ``lifecycle``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table, func, insert, select, update

from tenure.domains.customers.models import Customer
from tenure.domains.scoring import views
from tenure.domains.scoring.models import KpiSnapshot, ScoreHistory, ScoringRun
from tenure.storage.base import table_of
from tenure.storage.bulk import insert_frames
from tenure.storage.rows import plain_row, plain_rows


def find_run(conn: Connection, as_of: date, config_hash: str, data: str) -> int | None:
    """Return a finished run for the same day, configuration and data, if there is one."""
    found = conn.execute(
        select(ScoringRun.id)
        .where(
            ScoringRun.as_of == as_of,
            ScoringRun.config_hash == config_hash,
            ScoringRun.data_fingerprint == data,
            ScoringRun.status == "done",
        )
        .order_by(ScoringRun.id.desc())
    ).first()
    return None if found is None else int(found[0])


def start_run(
    conn: Connection,
    as_of: date,
    preset: str,
    config_hash: str,
    data: str,
    parameters: dict[str, Any],
    now: datetime,
) -> int:
    """Record a run as running and return its id."""
    result = conn.execute(
        insert(ScoringRun)
        .values(
            as_of=as_of,
            status="running",
            preset=preset,
            config_hash=config_hash,
            data_fingerprint=data,
            started_at=now,
            parameters=parameters,
        )
        .returning(ScoringRun.id)
    )
    return int(result.scalar_one())


def mark_done(conn: Connection, run_id: int) -> None:
    """Mark a run done: if its day is the latest, its stages and scores are now the current."""
    conn.execute(update(ScoringRun).where(ScoringRun.id == run_id).values(status="done"))


def finish_run(conn: Connection, run_id: int, counts: dict[str, Any], now: datetime) -> None:
    """Mark a run done with what it found."""
    conn.execute(
        update(ScoringRun)
        .where(ScoringRun.id == run_id)
        .values(status="done", finished_at=now, counts=counts)
    )


def previous_run(conn: Connection, as_of: date) -> int | None:
    """Return the latest finished run before ``as_of`` (transitions are measured from it)."""
    found = conn.execute(
        select(ScoringRun.id)
        .where(ScoringRun.as_of < as_of, ScoringRun.status == "done")
        .order_by(ScoringRun.as_of.desc(), ScoringRun.id.desc())
    ).first()
    return None if found is None else int(found[0])


def write_results(
    conn: Connection, history: Sequence[tuple[Table, pl.DataFrame]], scores: pl.DataFrame
) -> None:
    """Insert a run's stage history and transitions, then its scores, in one bulk write.

    ``history`` comes from ``lifecycle.writeback.history_rows``; the current stages and scores
    are views of these rows.
    """
    insert_frames(conn, [*history, (table_of(ScoreHistory), scores)])


def run_record(conn: Connection, run_id: int) -> dict[str, Any]:
    """Return a run's record as plain data."""
    row = conn.execute(select(table_of(ScoringRun)).where(ScoringRun.id == run_id)).mappings().one()
    return plain_row(row)


def latest_run(conn: Connection) -> int | None:
    """Return the id of the finished run with the latest as-of day."""
    found = conn.execute(
        select(ScoringRun.id)
        .where(ScoringRun.status == "done")
        .order_by(ScoringRun.as_of.desc(), ScoringRun.id.desc())
    ).first()
    return None if found is None else int(found[0])


def segment_rows(conn: Connection, column: str) -> list[tuple[str | None, int, float, float]]:
    """Return (segment, customers, mean CLV, total CLV) of the current scores by ``column``."""
    scores = views.customer_scores  # a Table: the segment column is chosen by name
    key = scores.c[column]
    rows = conn.execute(
        select(key, func.count(), func.avg(scores.c.clv), func.sum(scores.c.clv))
        .where(key.is_not(None))
        .group_by(key)
        .order_by(func.sum(scores.c.clv).desc())
    ).all()
    return [(k, int(n), float(avg or 0.0), float(total or 0.0)) for k, n, avg, total in rows]


def runs(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Return the most recent runs, newest day first."""
    rows = conn.execute(
        select(table_of(ScoringRun))
        .order_by(ScoringRun.as_of.desc(), ScoringRun.id.desc())
        .limit(limit)
    )
    return plain_rows(rows.mappings())


def previous_of(conn: Connection, run_id: int) -> int | None:
    """Return the finished run before ``run_id``'s day (the one its transitions compare to)."""
    as_of = run_record(conn, run_id)["as_of"]
    return previous_run(conn, as_of)


def riskiest(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Return the current customers with the highest churn risk, their stage, CLV and reasons."""
    scores, stages = views.customer_scores, views.customer_stages
    rows = conn.execute(
        select(
            scores.c.customer_id,
            Customer.name,
            Customer.email,
            stages.c.stage,
            scores.c.churn_risk,
            scores.c.clv,
            scores.c.churn_reasons,
        )
        .join(Customer, Customer.id == scores.c.customer_id)
        .join(stages, stages.c.customer_id == scores.c.customer_id)
        .where(scores.c.churn_risk.is_not(None))
        .order_by(scores.c.churn_risk.desc(), scores.c.customer_id)
        .limit(limit)
    )
    return plain_rows(rows.mappings())


def write_kpis(conn: Connection, run_id: int, as_of: date, data: dict[str, Any]) -> None:
    """Keep a run's KPIs."""
    conn.execute(insert(KpiSnapshot).values(run_id=run_id, as_of=as_of, data=data))


def kpis(conn: Connection, run_id: int) -> dict[str, Any] | None:
    """Return the KPIs of a run, if it computed them."""
    found: dict[str, Any] | None = conn.execute(
        select(KpiSnapshot.data).where(KpiSnapshot.run_id == run_id)
    ).scalar_one_or_none()
    return found


def bands(conn: Connection, run_id: int | None) -> pl.DataFrame:
    """Return each customer's health and lead band in a run (empty without a run)."""
    schema = {"customer_id": pl.Int64, "health_band": pl.String, "lead_band": pl.String}
    if run_id is None:
        return pl.DataFrame(schema=schema)
    rows = conn.execute(
        select(ScoreHistory.customer_id, ScoreHistory.health_band, ScoreHistory.lead_band).where(
            ScoreHistory.run_id == run_id
        )
    ).all()
    return pl.DataFrame(rows, schema=schema, orient="row")
