"""Queries of the stage history and the stage transitions."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from tenure.domains.customers.models import Customer
from tenure.domains.customers.reach import Owners, owned
from tenure.domains.lifecycle.models import StageHistory, StageTransition
from tenure.storage.rows import plain_rows

HISTORY_SCHEMA = {"customer_id": pl.Int64, "stage": pl.String, "since": pl.Date}


def history(conn: Connection, run_id: int | None) -> pl.DataFrame:
    """Stages of every customer in a run (empty without a run)."""
    if run_id is None:
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    rows = conn.execute(
        select(StageHistory.customer_id, StageHistory.stage, StageHistory.since).where(
            StageHistory.run_id == run_id
        )
    ).all()
    return pl.DataFrame(rows, schema=list(HISTORY_SCHEMA), orient="row").cast(HISTORY_SCHEMA)  # type: ignore[arg-type]


def transition_flow(conn: Connection, run_id: int) -> list[tuple[str | None, str, int]]:
    """Return (from, to, customers) of a run's transitions, most frequent first."""
    tr = StageTransition
    rows = conn.execute(
        select(tr.from_stage, tr.to_stage, func.count())
        .where(tr.run_id == run_id)
        .group_by(tr.from_stage, tr.to_stage)
        .order_by(func.count().desc())
    ).all()
    return [(f, t, int(n)) for f, t, n in rows]


def flow(conn: Connection, from_run: int, to_run: int) -> list[tuple[str, str, int]]:
    """Return (stage in from_run, stage in to_run, customers) for customers in both runs."""
    before = aliased(StageHistory, name="before")
    after = aliased(StageHistory, name="after")
    rows = conn.execute(
        select(before.stage, after.stage, func.count())
        .select_from(before)
        .join(after, before.customer_id == after.customer_id)
        .where(before.run_id == from_run, after.run_id == to_run)
        .group_by(before.stage, after.stage)
        .order_by(func.count().desc())
    ).all()
    return [(str(a), str(b), int(n)) for a, b, n in rows]


def recent_moves(
    conn: Connection, run_id: int, limit: int, owners: Owners = None
) -> list[dict[str, Any]]:
    """Return a run's stage transitions with the customer's name, the rule and its numbers.

    ``owners``: only the customers the caller reaches ([access]; None: all).
    """
    tr = StageTransition
    rows = conn.execute(
        select(
            tr.customer_id,
            Customer.name,
            Customer.external_id,
            tr.from_stage,
            tr.to_stage,
            tr.rule,
            tr.numbers,
        )
        .join(Customer, Customer.id == tr.customer_id)
        .where(tr.run_id == run_id, owned(owners))
        .order_by(tr.id.desc())
        .limit(limit)
    ).mappings()
    return plain_rows(rows)
