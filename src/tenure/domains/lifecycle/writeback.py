"""A run's stages written back as history: since when, who moved, and the moves to hand over.

A scoring run decides every customer's stage; here those stages are compared with the run
before (``repository.history``), each customer's ``since`` is carried over or reset, and the
moves become the rows of ``stage_transitions`` and, for the event feed that playbook
triggers read, ``stage_changed`` events (``stage_events``), all in the run's one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Table

from tenure.analytics.stages import transitions
from tenure.domains.events import feed
from tenure.domains.events.models import SystemEventType
from tenure.domains.lifecycle.models import StageHistory, StageTransition
from tenure.kit.timeutil import end_of_day
from tenure.storage.base import table_of

# What a run hands over of every move it wrote: who, from (None for a newcomer), to, the rule
# that decided it, and the run's day.
MOVE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "customer_id": pl.Int64,
    "from_stage": pl.String,
    "to_stage": pl.String,
    "reason": pl.String,
    "as_of": pl.Date,
}


def no_moves() -> pl.DataFrame:
    """Return an empty frame of moves (a run that wrote none, or reused an earlier run)."""
    return pl.DataFrame(schema=MOVE_SCHEMA)


@dataclass(frozen=True)
class StageChanges:
    """A run's stages against those of the run before it."""

    as_of: date
    current: pl.DataFrame  # every customer: stage, since, rule and numbers
    moved: pl.DataFrame  # who changed stage or is new: from_stage, to_stage, rule, numbers

    def moves(self) -> pl.DataFrame:
        """Return the moves as handed over: customer_id, from_stage, to_stage, reason, as_of."""
        return self.moved.select(
            pl.col("customer_id").cast(pl.Int64),
            pl.col("from_stage").cast(pl.String),
            pl.col("to_stage").cast(pl.String),
            pl.col("rule").cast(pl.String).alias("reason"),
            pl.lit(self.as_of, dtype=pl.Date).alias("as_of"),
        )


def stage_changes(before: pl.DataFrame, stages: pl.DataFrame, as_of: date) -> StageChanges:
    """Compare a run's ``stages`` as of ``as_of`` with ``before`` (the previous run's history)."""
    return StageChanges(
        as_of=as_of,
        current=_with_since(stages, before, as_of),
        moved=transitions(before, stages),
    )


def _with_since(stages: pl.DataFrame, before: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Carry 'since' over for customers who stayed in their stage; today for the others."""
    joined = stages.join(
        before.rename({"stage": "before", "since": "before_since"}), on="customer_id", how="left"
    )
    since = (
        pl.when(pl.col("before") == pl.col("stage"))
        .then(pl.col("before_since"))
        .otherwise(pl.lit(as_of))
    )
    return joined.with_columns(since.alias("since")).drop("before", "before_since")


def history_rows(run_id: int, changes: StageChanges) -> list[tuple[Table, pl.DataFrame]]:
    """Return the rows of ``stage_history`` and ``stage_transitions`` for run ``run_id``.

    The run inserts them with its scores in one ``insert_frames`` (side by side on SQLite).
    """
    run = pl.lit(run_id, dtype=pl.Int64)
    day = pl.lit(changes.as_of, dtype=pl.Date)
    return [
        (
            table_of(StageHistory),
            changes.current.select(
                run.alias("run_id"), "customer_id", "stage", "since", "rule", "numbers"
            ),
        ),
        (
            table_of(StageTransition),
            changes.moved.select(
                run.alias("run_id"),
                "customer_id",
                day.alias("as_of"),
                "from_stage",
                "to_stage",
                "rule",
                "numbers",
            ),
        ),
    ]


def stage_events(
    run_id: int, changes: StageChanges, timezone: str, *, first: bool = False
) -> list[feed.NewEvent]:
    """Return the run's moves as ``stage_changed`` events for the feed.

    A customer placed for the first time (a new lead, a first purchase) enters a stage from
    none (``from`` is null) — except in a store's ``first`` run, which places everyone at
    once. The event is dated at the end of the run's day (business time): what the customer
    did that day came before it.
    """
    moved = changes.moves()
    if first:
        moved = moved.filter(pl.col("from_stage").is_not_null())
    at = end_of_day(changes.as_of, timezone)
    return [
        feed.NewEvent(
            key=f"run:{run_id}:stage:{customer_id}",
            customer_id=customer_id,
            type=SystemEventType.STAGE_CHANGED,
            occurred_at=at,
            properties={"from": before, "to": after, "rule": rule, "run_id": run_id},
        )
        for customer_id, before, after, rule in moved.select(
            "customer_id", "from_stage", "to_stage", "reason"
        ).iter_rows()
    ]
