"""A run's stages against the run before: since when, who moved, and the moves handed over."""

from __future__ import annotations

from datetime import date

import polars as pl

from tenure.domains.lifecycle.models import StageHistory, StageTransition
from tenure.domains.lifecycle.writeback import MOVE_SCHEMA, history_rows, no_moves, stage_changes

BEFORE = pl.DataFrame(
    {"customer_id": [1, 2], "stage": ["new", "growing"], "since": [date(2025, 1, 1)] * 2},
    schema={"customer_id": pl.Int64, "stage": pl.String, "since": pl.Date},
)
STAGES = pl.DataFrame(
    {
        "customer_id": [1, 2, 3],
        "stage": ["new", "declining", "potential"],
        "rule": ["first_purchase", "overdue", "no_purchase"],
        "numbers": [None, '{"days_since_last": 99}', None],
    },
    schema={"customer_id": pl.Int64, "stage": pl.String, "rule": pl.String, "numbers": pl.String},
)
AS_OF = date(2025, 3, 1)


def test_since_carries_over_for_who_stayed() -> None:
    changes = stage_changes(BEFORE, STAGES, AS_OF)
    since = dict(changes.current.select("customer_id", "since").iter_rows())
    assert since == {1: date(2025, 1, 1), 2: AS_OF, 3: AS_OF}


def test_the_moves_handed_over() -> None:
    moves = stage_changes(BEFORE, STAGES, AS_OF).moves().sort("customer_id")
    assert moves.schema == pl.Schema(MOVE_SCHEMA)
    assert moves.rows() == [
        (2, "growing", "declining", "overdue", AS_OF),
        (3, None, "potential", "no_purchase", AS_OF),
    ]
    assert no_moves().schema == moves.schema and no_moves().is_empty()


def test_the_rows_written() -> None:
    changes = stage_changes(BEFORE, STAGES, AS_OF)
    (history_table, history), (moved_table, moved) = history_rows(7, changes)
    assert history_table is StageHistory.__table__ and moved_table is StageTransition.__table__
    assert history.columns == ["run_id", "customer_id", "stage", "since", "rule", "numbers"]
    assert set(history["run_id"]) == {7} and history.height == 3
    assert moved.columns == [
        "run_id",
        "customer_id",
        "as_of",
        "from_stage",
        "to_stage",
        "rule",
        "numbers",
    ]
    assert set(moved["as_of"]) == {AS_OF} and moved.height == 2
