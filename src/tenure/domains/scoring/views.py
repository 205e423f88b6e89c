"""The current stage and scores of every customer: views of the latest finished run.

``customer_stages`` and ``customer_scores`` read ``stage_history`` and ``score_history`` of the
run with the latest as-of day (the latest such run when there are several), so a run's results
become current the moment it is marked done — nothing is copied. Migration 0011 creates them;
here they are described for queries only, in a metadata of their own, so that no one creates
them as tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, FromClause, Integer, MetaData, Table

from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.scoring.models import ScoreHistory

VIEWS = MetaData()


def _copy(table: FromClause, skip: tuple[str, ...]) -> list[Column[Any]]:
    return [Column(c.name, c.type) for c in table.columns if c.name not in skip]


def _current(name: str, source: FromClause) -> Table:
    """Describe the view ``name`` of ``source``, a history table (its columns, copied)."""
    return Table(
        name,
        VIEWS,
        Column("customer_id", Integer, primary_key=True),
        Column("run_id", Integer),
        Column("as_of", Date),
        *_copy(source, ("run_id", "customer_id")),
    )


customer_stages = _current("customer_stages", StageHistory.__table__)
customer_scores = _current("customer_scores", ScoreHistory.__table__)
