"""Scores that crossed a line between two runs, as ``score_crossed`` events for the feed.

A band (health: green / yellow / red; lead: hot / warm / cold) is the line a person drew
once in the settings; a customer whose band changed from one run to the next is news a
playbook can react to ("health turns red"). Customers without a band in either run are not.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from tenure.domains.events import feed
from tenure.domains.events.models import SystemEventType
from tenure.kit.timeutil import end_of_day

BANDS = ("health_band", "lead_band")


def band_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Return (customer_id, score, from, to) for every band that changed between two runs."""
    joined = after.select("customer_id", *BANDS).join(
        before.select("customer_id", *BANDS), on="customer_id", suffix="_before"
    )
    changed = [
        joined.filter(
            pl.col(band).is_not_null()
            & pl.col(f"{band}_before").is_not_null()
            & (pl.col(band) != pl.col(f"{band}_before"))
        ).select(
            "customer_id",
            pl.lit(band).alias("score"),
            pl.col(f"{band}_before").alias("from"),
            pl.col(band).alias("to"),
        )
        for band in BANDS
    ]
    return pl.concat(changed).sort("customer_id", "score")


def crossing_events(
    run_id: int, changes: pl.DataFrame, as_of: date, timezone: str
) -> list[feed.NewEvent]:
    """Return the band changes as events, dated at the end of the run's day."""
    at = end_of_day(as_of, timezone)
    return [
        feed.NewEvent(
            key=f"run:{run_id}:{score}:{customer_id}",
            customer_id=customer_id,
            type=SystemEventType.SCORE_CROSSED,
            occurred_at=at,
            properties={"score": score, "from": before, "to": after, "run_id": run_id},
        )
        for customer_id, score, before, after in changes.iter_rows()
    ]
