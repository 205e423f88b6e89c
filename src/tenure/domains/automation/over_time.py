"""The goal rate over time: treated against holdout, cumulative by the week of enrollment.

For each week (Monday to Sunday, UTC) the point counts every measured enrollment up to the end
of that week, so the last point is the report's own figure and the band shows how the
interval of the difference narrowed as customers came in. Intent to treat, windows closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from tenure.analytics import uplift


@dataclass(frozen=True)
class WeekPoint:
    """The goal rates of everyone enrolled up to the end of the week starting ``week``."""

    week: date
    treated: int
    holdout: int
    goal_rate: uplift.Difference | None

    def as_dict(self) -> dict[str, Any]:
        """Return the point as plain data."""
        d = self.goal_rate
        return {
            "week": self.week.isoformat(),
            "treated": self.treated,
            "holdout": self.holdout,
            "goal_rate": None
            if d is None
            else {"treated": d.treated, "holdout": d.holdout, "difference": d.difference}
            | {"low": d.low, "high": d.high},
        }


def by_week(cohort: pl.DataFrame) -> list[WeekPoint]:
    """Return a cumulative point per enrollment week of ``cohort``.

    ``cohort``: one row per measured enrollment with holdout, enrolled_at and reached.
    """
    if cohort.height == 0:
        return []
    weekly = (
        cohort.with_columns(day=pl.col("enrolled_at").dt.date())
        .with_columns(week=pl.col("day") - pl.duration(days=pl.col("day").dt.weekday() - 1))
        .group_by("week")
        .agg(
            t_n=(~pl.col("holdout")).sum(),
            t_goals=(~pl.col("holdout") & pl.col("reached")).sum(),
            h_n=pl.col("holdout").sum(),
            h_goals=(pl.col("holdout") & pl.col("reached")).sum(),
        )
        .sort("week")
    )
    first, last = weekly["week"].min(), weekly["week"].max()
    if not isinstance(first, date) or not isinstance(last, date):
        raise TypeError("week is not a date")  # pragma: no cover (height > 0)
    counts = {row["week"]: row for row in weekly.iter_rows(named=True)}
    points: list[WeekPoint] = []
    t_n = t_goals = h_n = h_goals = 0
    week = first
    while week <= last:  # every week, also those nobody enrolled in: a steady axis
        row = counts.get(week)
        if row is not None:
            t_n, t_goals = t_n + row["t_n"], t_goals + row["t_goals"]
            h_n, h_goals = h_n + row["h_n"], h_goals + row["h_goals"]
        points.append(WeekPoint(week, t_n, h_n, uplift.rate_difference(t_goals, t_n, h_goals, h_n)))
        week += timedelta(days=7)
    return points
