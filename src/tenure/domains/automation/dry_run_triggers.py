"""Which customers a playbook's triggers would have set off on one day of history.

The live engine reacts to the feed: a run writes ``stage_changed`` and ``score_crossed``
events from one run's stages and scores to the next, imported events arrive as they happen.
A dry run has no feed for the past, so it compares each day's scores with the day before's
(``daily_scores``) the way a run compares two runs, and reads the day's events and survey
answers from history. Triggers that need what history does not keep (segment membership,
tasks, loyalty tiers, dates, cross-sell offers, manual enrollment) are listed as not replayed.
"""

from __future__ import annotations

import polars as pl

from tenure.domains.automation.definition import Playbook, ScoreCrossed, StageEntered, Trigger

# the triggers a dry run can replay from history
REPLAYED = ("stage_entered", "score_crossed", "event", "survey_answered")
# the scores a dry run has each day (clv is not computed day by day)
DAILY_SCORES = (
    "churn_risk",
    "p_alive",
    "health_score",
    "health_band",
    "lead_score",
    "lead_band",
)


def not_replayed(playbook: Playbook) -> list[str]:
    """Return the playbook's triggers a dry run cannot replay, as their kinds (and why)."""
    out = []
    for trigger in playbook.trigger:
        if trigger.kind not in REPLAYED:
            out.append(trigger.kind)
        elif trigger.score_crossed is not None and trigger.score_crossed.score == "clv":
            out.append("score_crossed: clv")
    return out


def reads_leads(playbook: Playbook) -> bool:
    """Return whether the playbook's triggers or conditions read a lead_* field."""
    crossed = [t.score_crossed.score for t in playbook.trigger if t.score_crossed is not None]
    conditions = repr(playbook.conditions or {}) + repr(
        playbook.goal.condition if playbook.goal else {}
    )
    return any(s.startswith("lead_") for s in crossed) or "'lead_" in conditions


def _stage_entered(rule: StageEntered, pair: pl.DataFrame) -> pl.Expr:
    # a customer new to the scores enters their first stage "from nowhere" (as a run's move)
    moved = pl.col("stage").is_not_null() & (
        pl.col("stage_before").is_null() | (pl.col("stage") != pl.col("stage_before"))
    )
    entered = moved & pl.col("stage").is_in(list(rule.to))
    if rule.from_ is not None:
        entered = entered & pl.col("stage_before").is_in(list(rule.from_))
    return entered


def _score_crossed(rule: ScoreCrossed) -> pl.Expr:
    now, before = pl.col(rule.score), pl.col(f"{rule.score}_before")
    both = now.is_not_null() & before.is_not_null()
    if rule.becomes is not None:
        return both & (now != before) & now.is_in(list(rule.becomes))
    if rule.above is not None:
        return both & (before <= rule.above) & (now > rule.above)
    assert rule.below is not None  # noqa: S101  (the definition checks one line is given)
    return both & (before >= rule.below) & (now < rule.below)


def _from_scores(trigger: Trigger, pair: pl.DataFrame) -> pl.Series | None:
    if trigger.stage_entered is not None:
        expr = _stage_entered(trigger.stage_entered, pair)
    elif trigger.score_crossed is not None and trigger.score_crossed.score in DAILY_SCORES:
        if trigger.score_crossed.score not in pair.columns:
            return None
        expr = _score_crossed(trigger.score_crossed)
    else:
        return None
    return pair.filter(expr.fill_null(False))["customer_id"]


def _from_history(trigger: Trigger, events: pl.DataFrame, surveys: pl.DataFrame) -> pl.Series:
    if trigger.event is not None:
        # history keeps each event's type only: a rule on properties cannot be checked
        return events.filter(pl.col("type") == trigger.event.type)["customer_id"].unique()
    rule = trigger.survey_answered
    assert rule is not None  # noqa: S101
    if rule.survey != "nps":  # the score history holds NPS answers
        return pl.Series("customer_id", [], dtype=pl.Int64)
    keep = pl.col("score").is_not_null()
    if rule.min is not None:
        keep = keep & (pl.col("score") >= rule.min)
    if rule.max is not None:
        keep = keep & (pl.col("score") <= rule.max)
    return surveys.filter(keep)["customer_id"].unique()


def pair_of(before: pl.DataFrame | None, now: pl.DataFrame) -> pl.DataFrame:
    """Return today's scores beside yesterday's (``<column>_before``), one row per customer."""
    if before is None:
        before = now.clear()
    return now.join(before, on="customer_id", how="left", suffix="_before")


def set_off(
    playbook: Playbook, pair: pl.DataFrame, events: pl.DataFrame, surveys: pl.DataFrame
) -> pl.DataFrame:
    """Return (customer_id, trigger) of everyone a trigger sets off: the first trigger wins.

    ``pair`` is ``pair_of(yesterday, today)``; ``events`` and ``surveys`` are the day's rows.
    """
    found: list[pl.DataFrame] = []
    for trigger in playbook.trigger:
        if trigger.kind not in REPLAYED:
            continue
        if trigger.kind in ("event", "survey_answered"):
            ids = _from_history(trigger, events, surveys)
        else:
            got = _from_scores(trigger, pair)
            if got is None:
                continue
            ids = got
        found.append(
            pl.DataFrame({"customer_id": ids.cast(pl.Int64)}).with_columns(
                pl.lit(trigger.kind).alias("trigger")
            )
        )
    if not found:
        return pl.DataFrame(schema={"customer_id": pl.Int64, "trigger": pl.String})
    known = pair.select("customer_id")
    return (
        pl.concat(found)
        .unique("customer_id", keep="first", maintain_order=True)
        .join(known, on="customer_id", how="semi")
        .sort("customer_id")
    )
