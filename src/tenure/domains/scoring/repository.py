"""Queries of the scoring runs and stage tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from tenure.domains.registry import metadata
from tenure.domains.scoring import views
from tenure.storage.bulk import insert_frames
from tenure.storage.rows import plain_row, plain_rows


def _t(name: str) -> Any:
    return metadata().tables[name]


def find_run(conn: Connection, as_of: date, config_hash: str, data: str) -> int | None:
    """Return a finished run for the same day, configuration and data, if there is one."""
    runs = _t("scoring_runs")
    found = conn.execute(
        select(runs.c.id)
        .where(
            runs.c.as_of == as_of,
            runs.c.config_hash == config_hash,
            runs.c.data_fingerprint == data,
            runs.c.status == "done",
        )
        .order_by(runs.c.id.desc())
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
    runs = _t("scoring_runs")
    result = conn.execute(
        insert(runs)
        .values(
            as_of=as_of,
            status="running",
            preset=preset,
            config_hash=config_hash,
            data_fingerprint=data,
            started_at=now,
            parameters=parameters,
        )
        .returning(runs.c.id)
    )
    return int(result.scalar_one())


def mark_done(conn: Connection, run_id: int) -> None:
    """Mark a run done: if its day is the latest, its stages and scores are now the current."""
    runs = _t("scoring_runs")
    conn.execute(update(runs).where(runs.c.id == run_id).values(status="done"))


def finish_run(conn: Connection, run_id: int, counts: dict[str, Any], now: datetime) -> None:
    """Mark a run done with what it found."""
    runs = _t("scoring_runs")
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(status="done", finished_at=now, counts=counts)
    )


def previous_run(conn: Connection, as_of: date) -> int | None:
    """Return the latest finished run before ``as_of`` (transitions are measured from it)."""
    runs = _t("scoring_runs")
    found = conn.execute(
        select(runs.c.id)
        .where(runs.c.as_of < as_of, runs.c.status == "done")
        .order_by(runs.c.as_of.desc(), runs.c.id.desc())
    ).first()
    return None if found is None else int(found[0])


def history(conn: Connection, run_id: int | None) -> pl.DataFrame:
    """Stages of every customer in a run (empty without a run)."""
    schema = {"customer_id": pl.Int64, "stage": pl.String, "since": pl.Date}
    if run_id is None:
        return pl.DataFrame(schema=schema)
    h = _t("stage_history")
    rows = conn.execute(
        select(h.c.customer_id, h.c.stage, h.c.since).where(h.c.run_id == run_id)
    ).all()
    return pl.DataFrame(rows, schema=list(schema), orient="row").cast(schema)  # type: ignore[arg-type]


def write_results(
    conn: Connection, history: pl.DataFrame, moved: pl.DataFrame, scores: pl.DataFrame
) -> None:
    """Insert a run's stage rows, transitions and scores (the current ones are views of them)."""
    insert_frames(
        conn,
        [
            (_t("stage_history"), history),
            (_t("stage_transitions"), moved),
            (_t("score_history"), scores),
        ],
    )


def run_record(conn: Connection, run_id: int) -> dict[str, Any]:
    """Return a run's record as plain data."""
    runs = _t("scoring_runs")
    row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
    return plain_row(row)


def transition_flow(conn: Connection, run_id: int) -> list[tuple[str | None, str, int]]:
    """Return (from, to, customers) of a run's transitions, most frequent first."""
    tr = _t("stage_transitions")
    rows = conn.execute(
        select(tr.c.from_stage, tr.c.to_stage, func.count())
        .where(tr.c.run_id == run_id)
        .group_by(tr.c.from_stage, tr.c.to_stage)
        .order_by(func.count().desc())
    ).all()
    return [(f, t, int(n)) for f, t, n in rows]


def latest_run(conn: Connection) -> int | None:
    """Return the id of the finished run with the latest as-of day."""
    runs = _t("scoring_runs")
    found = conn.execute(
        select(runs.c.id)
        .where(runs.c.status == "done")
        .order_by(runs.c.as_of.desc(), runs.c.id.desc())
    ).first()
    return None if found is None else int(found[0])


def segment_rows(conn: Connection, column: str) -> list[tuple[str | None, int, float, float]]:
    """Return (segment, customers, mean CLV, total CLV) of the current scores by ``column``."""
    scores = views.customer_scores
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
    r = _t("scoring_runs")
    rows = conn.execute(select(r).order_by(r.c.as_of.desc(), r.c.id.desc()).limit(limit))
    return plain_rows(rows.mappings())


def flow(conn: Connection, from_run: int, to_run: int) -> list[tuple[str, str, int]]:
    """Return (stage in from_run, stage in to_run, customers) for customers in both runs."""
    h = _t("stage_history")
    before, after = h.alias("before"), h.alias("after")
    rows = conn.execute(
        select(before.c.stage, after.c.stage, func.count())
        .select_from(before.join(after, before.c.customer_id == after.c.customer_id))
        .where(before.c.run_id == from_run, after.c.run_id == to_run)
        .group_by(before.c.stage, after.c.stage)
        .order_by(func.count().desc())
    ).all()
    return [(str(a), str(b), int(n)) for a, b, n in rows]


def previous_of(conn: Connection, run_id: int) -> int | None:
    """Return the finished run before ``run_id``'s day (the one its transitions compare to)."""
    as_of = run_record(conn, run_id)["as_of"]
    return previous_run(conn, as_of)


def riskiest(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Return the current customers with the highest churn risk, their stage, CLV and reasons."""
    scores, stages, customers = views.customer_scores, views.customer_stages, _t("customers")
    rows = conn.execute(
        select(
            scores.c.customer_id,
            customers.c.name,
            customers.c.email,
            stages.c.stage,
            scores.c.churn_risk,
            scores.c.clv,
            scores.c.churn_reasons,
        )
        .join(customers, customers.c.id == scores.c.customer_id)
        .join(stages, stages.c.customer_id == scores.c.customer_id)
        .where(scores.c.churn_risk.is_not(None))
        .order_by(scores.c.churn_risk.desc(), scores.c.customer_id)
        .limit(limit)
    )
    return plain_rows(rows.mappings())


def write_kpis(conn: Connection, run_id: int, as_of: date, data: dict[str, Any]) -> None:
    """Keep a run's KPIs."""
    conn.execute(insert(_t("kpi_snapshots")).values(run_id=run_id, as_of=as_of, data=data))


def kpis(conn: Connection, run_id: int) -> dict[str, Any] | None:
    """Return the KPIs of a run, if it computed them."""
    k = _t("kpi_snapshots")
    found: dict[str, Any] | None = conn.execute(
        select(k.c.data).where(k.c.run_id == run_id)
    ).scalar_one_or_none()
    return found


def recent_moves(conn: Connection, run_id: int, limit: int) -> list[dict[str, Any]]:
    """Return a run's stage transitions with the customer's name, the rule and its numbers."""
    tr, customers = _t("stage_transitions"), _t("customers")
    rows = conn.execute(
        select(
            tr.c.customer_id,
            customers.c.name,
            customers.c.external_id,
            tr.c.from_stage,
            tr.c.to_stage,
            tr.c.rule,
            tr.c.numbers,
        )
        .join(customers, customers.c.id == tr.c.customer_id)
        .where(tr.c.run_id == run_id)
        .order_by(tr.c.id.desc())
        .limit(limit)
    ).mappings()
    return plain_rows(rows)
