"""Each way of a playbook's random split against the holdout, intent to treat.

A ``split`` step sends an enrollment down one of its ways by a stable hash of (enrollment,
step) (``steps.split_way``), so the way every enrollment *would* take is known from its id
alone — also for the holdout, which never reaches the step, and for enrollments that
exited before it. Each way's treated enrollments are compared with the whole holdout: the
hash of the split is independent of the holdout's, so each way's customers are a random
share of the treated ones, and they are counted whether or not they reached the split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from tenure.analytics import uplift
from tenure.domains.automation.definition import Playbook, Share
from tenure.domains.automation.models import PlaybookVersion
from tenure.domains.automation.steps import split_way


@dataclass(frozen=True)
class Variant:
    """One way of a split: its treated enrollments' goal rate against the holdout's."""

    step: str
    way: str
    share: float
    treated: int
    goal_rate: uplift.Difference | None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data."""
        d = self.goal_rate
        return {
            "step": self.step,
            "way": self.way,
            "share": self.share,
            "treated": self.treated,
            "goal_rate": None if d is None else d.as_dict(),
        }


def splits_of(conn: Connection, playbook_id: int) -> dict[int, dict[str, list[Share]]]:
    """Return each published version's split steps: version → step id → its ways."""
    rows = conn.execute(
        select(PlaybookVersion.version, PlaybookVersion.definition).where(
            PlaybookVersion.playbook_id == playbook_id
        )
    ).all()
    out: dict[int, dict[str, list[Share]]] = {}
    for version, definition in rows:
        playbook = Playbook.model_validate(definition)
        out[int(version)] = {
            step_id: step.split
            for step_id, step in zip(playbook.step_ids(), playbook.steps, strict=True)
            if step.split is not None
        }
    return out


def variants(
    cohort: pl.DataFrame, current: Playbook, splits: dict[int, dict[str, list[Share]]]
) -> list[Variant]:
    """Return every way of the current version's splits, measured on ``cohort``.

    ``cohort`` has one row per measured enrollment: id, version, holdout, reached. An
    enrollment whose version has no split of that id (or other ways) takes no part in it.
    """
    found: list[Variant] = []
    for step_id, step in zip(current.step_ids(), current.steps, strict=True):
        if step.split is None:
            continue
        ways = step.split
        held = cohort.filter(pl.col("holdout"))
        h_goals, h_n = int(held["reached"].sum()), held.height
        treated = [
            (row["reached"], split_way(row["id"], step_id, ways))
            for row in cohort.filter(~pl.col("holdout")).iter_rows(named=True)
            if splits.get(row["version"], {}).get(step_id) == ways
        ]
        for way in ways:
            mine = [reached for reached, went in treated if went == way.go]
            difference = uplift.rate_difference(sum(mine), len(mine), h_goals, h_n)
            found.append(Variant(step_id, way.go, way.share, len(mine), difference))
    return found
