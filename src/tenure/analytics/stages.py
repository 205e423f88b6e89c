"""The lifecycle stage policy: an ordered list of rules over features, first match wins.

A policy is data. Each rule names the stage it assigns, a filter tree over the features
(thresholds as parameters from settings), and the features whose values explain the decision
and are recorded with every transition. Presets exist for e-commerce and for subscription
businesses, where contract status drives the stages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tenure.kit.filters import to_polars

STAGES = ("potential", "new", "growing", "mature", "declining", "churned", "won_back")


@dataclass(frozen=True)
class StageRule:
    """One rule: when ``when`` holds (and no earlier rule matched), the customer is ``stage``."""

    key: str
    stage: str
    when: Mapping[str, Any]
    explain: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class StagePolicy:
    """An ordered list of rules and the thresholds they refer to."""

    name: str
    rules: tuple[StageRule, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Return a stable text of the whole policy (for the run's configuration hash)."""
        return json.dumps(
            {
                "name": self.name,
                "params": dict(self.params),
                "rules": [[r.key, r.stage, r.when] for r in self.rules],
            },
            sort_keys=True,
            default=str,
        )


def _p(name: str) -> dict[str, str]:
    return {"param": name}


# Activity and health place a buying customer in declining only "beyond their rhythm": not
# while they bought within their own usual gap between purchases (or the last
# recent_purchase_days), so fading logins or a dip in a score never outweigh recent purchases.
# The model's P(alive) already weighs the purchases: it yields to the last recent_purchase_days
# only, so that strong signs of leaving (complaints, a detractor's answer, no visits) are not
# hidden by a slow buyer's long rhythm.
BEYOND_RHYTHM = {"field": "beyond_rhythm", "op": "=", "value": True}
NOT_RECENT = {"not": {"field": "bought_recently", "op": "=", "value": True}}


def _declining_unless_recent(condition: Mapping[str, Any]) -> dict[str, Any]:
    return {"all": [BEYOND_RHYTHM, condition]}


ECOMMERCE_RULES = (
    StageRule(
        "never_bought",
        "potential",
        {"field": "purchase_days", "op": "=", "value": 0},
        ("acquired_days",),
        "known to us, no paid purchase yet",
    ),
    StageRule(
        "gone_quiet",
        "churned",
        {
            "all": [
                {"field": "days_since_last", "op": ">", "value": _p("churned_min_days")},
                {"field": "p_alive", "op": "<", "value": _p("churned_p_alive")},
            ]
        },
        ("p_alive", "days_since_last", "days_since_active"),
        "P(alive) below churned_p_alive, and no purchase for churned_min_days",
    ),
    StageRule(
        "silent_too_long",
        "churned",
        {
            "all": [
                {"field": "days_since_active", "op": ">", "value": _p("churn_after_days")},
                {"field": "days_since_last", "op": ">", "value": _p("churned_min_days")},
                # a P(alive) learned from the store's own past decides alone (gone_quiet);
                # without one, silence does, unless the transaction model thinks them alive
                {"not": {"field": "p_alive_learned", "op": "=", "value": True}},
                {"not": {"field": "p_alive", "op": ">=", "value": _p("declining_p_alive")}},
            ]
        },
        ("days_since_last", "days_since_active"),
        "no purchase and no activity for longer than churn_after_days (when P(alive) is not "
        "learned from the store's past)",
    ),
    StageRule(
        "unlikely_alive",
        "declining",
        {"all": [NOT_RECENT, {"field": "p_alive", "op": "<", "value": _p("declining_p_alive")}]},
        ("p_alive", "days_since_last", "days_since_active"),
        "P(alive) below declining_p_alive, and no purchase in the last recent_purchase_days",
    ),
    StageRule(
        "came_back",
        "won_back",
        {"field": "days_since_comeback", "op": "<=", "value": _p("won_back_days")},
        ("days_since_comeback", "days_since_last"),
        "bought again after a silence longer than churn_after_days, within won_back_days",
    ),
    StageRule(
        "first_purchase_recent",
        "new",
        {
            "all": [
                {"field": "frequency", "op": "=", "value": 0},
                {"field": "tenure_days", "op": "<=", "value": _p("new_window_days")},
            ]
        },
        ("tenure_days",),
        "first purchase within new_window_days, no repeat yet",
    ),
    StageRule(
        "no_repeat",
        "declining",
        {"field": "frequency", "op": "=", "value": 0},
        ("tenure_days", "days_since_last"),
        "no repeat purchase within new_window_days of the first",
    ),
    StageRule(
        "overdue",
        "declining",
        {
            "all": [
                {"field": "overdue_ratio", "op": ">", "value": _p("overdue_multiple")},
                {"field": "days_since_last", "op": ">", "value": _p("overdue_min_days")},
            ]
        },
        ("days_since_last", "typical_gap_days", "overdue_ratio"),
        "silent for overdue_multiple × the customer's own typical gap",
    ),
    StageRule(
        "unhealthy",
        "declining",
        _declining_unless_recent({"field": "health_band", "op": "=", "value": "red"}),
        ("health_band", "days_since_last", "typical_gap_days"),
        "the health score is in the red band, and no purchase within the customer's rhythm",
    ),
    StageRule(
        "activity_fading",
        "declining",
        _declining_unless_recent(
            {
                "all": [
                    {
                        "field": "events_prior_30",
                        "op": ">=",
                        "value": _p("activity_min_events"),
                    },
                    {"field": "activity_trend", "op": "<", "value": _p("activity_drop")},
                ]
            }
        ),
        ("events_30", "events_prior_30", "activity_trend", "days_since_last"),
        "activity in the last 30 days fell below activity_drop × the 30 days before, "
        "and no purchase within the customer's rhythm",
    ),
    StageRule(
        "established",
        "mature",
        {
            "all": [
                {"field": "purchase_days", "op": ">=", "value": _p("mature_min_purchases")},
                {"field": "tenure_days", "op": ">=", "value": _p("mature_min_tenure_days")},
            ]
        },
        ("purchase_days", "tenure_days"),
        "at least mature_min_purchases purchase days over mature_min_tenure_days",
    ),
    StageRule(
        "repeat_buyer",
        "growing",
        {"field": "frequency", "op": ">=", "value": 1},
        ("frequency", "days_since_last"),
        "repeat purchases, not yet mature",
    ),
)

SAAS_RULES = (
    StageRule(
        "never_subscribed",
        "potential",
        {"field": "ever_subscribed", "op": "=", "value": 0},
        ("acquired_days",),
        "a lead or trial without a paid contract",
    ),
    StageRule(
        "all_cancelled",
        "churned",
        {"field": "active_subscriptions", "op": "=", "value": 0},
        ("ever_subscribed",),
        "every contract cancelled",
    ),
    StageRule(
        "resubscribed",
        "won_back",
        {"field": "days_since_resubscribed", "op": "<=", "value": _p("won_back_days")},
        ("days_since_resubscribed",),
        "a new contract after a cancellation, recently",
    ),
    StageRule(
        "new_contract",
        "new",
        {"field": "subscribed_days", "op": "<=", "value": _p("new_window_days")},
        ("subscribed_days",),
        "first contract within new_window_days",
    ),
    StageRule(
        "usage_fading",
        "declining",
        {
            "any": [
                {
                    "all": [
                        {
                            "field": "events_prior_30",
                            "op": ">=",
                            "value": _p("activity_min_events"),
                        },
                        {"field": "activity_trend", "op": "<", "value": _p("activity_drop")},
                    ]
                },
                {"field": "complaints_90", "op": ">=", "value": _p("complaints_alarm")},
            ]
        },
        ("events_30", "events_prior_30", "complaints_90"),
        "usage fell below activity_drop × the month before, or complaints piled up",
    ),
    StageRule(
        "long_standing",
        "mature",
        {"field": "subscribed_days", "op": ">=", "value": _p("mature_min_tenure_days")},
        ("subscribed_days",),
        "subscribed for at least mature_min_tenure_days",
    ),
    StageRule(
        "active_contract",
        "growing",
        {"field": "active_subscriptions", "op": ">=", "value": 1},
        ("active_subscriptions",),
        "an active contract, not yet mature",
    ),
)

PRESETS = {"ecommerce": ECOMMERCE_RULES, "saas": SAAS_RULES}


def policy(preset: str, params: Mapping[str, Any]) -> StagePolicy:
    """Return the named preset's rules with the given thresholds."""
    return StagePolicy(preset, PRESETS[preset], dict(params))


# Model outputs a policy may use; without a model in the run they are missing (null), and the
# rules that use them do not fire.
MODEL_FIELDS = {"p_alive": pl.Float64, "p_alive_learned": pl.Boolean, "health_band": pl.String}


def with_derived_fields(features: pl.DataFrame, params: Mapping[str, Any]) -> pl.DataFrame:
    """Add the fields rules read that combine features and thresholds.

    days_since_active  days since the latest purchase or sign of activity (the events the
                       features see reach 90 days back; older activity counts as none)
    bought_recently    a purchase within the last recent_purchase_days
    beyond_rhythm      a buyer who has not bought within their own usual gap between purchases
                       nor within recent_purchase_days (one-time buyers: the latter only)
    """
    since_event = features.get_column("days_since_active_event", default=None)
    last = pl.col("days_since_last")
    active = last if since_event is None else pl.min_horizontal(last, "days_since_active_event")
    recent = params.get("recent_purchase_days", 14)
    rhythm = pl.max_horizontal(pl.col("typical_gap_days").fill_null(0.0), pl.lit(recent))
    return features.with_columns(
        active.alias("days_since_active"),
        (last <= recent).fill_null(False).alias("bought_recently"),
        (last > rhythm).fill_null(False).alias("beyond_rhythm"),
    )


def assign_stages(
    features: pl.DataFrame, stage_policy: StagePolicy, explain: bool = True
) -> pl.DataFrame:
    """Return customer_id, stage, rule and the explaining numbers (JSON) for every customer.

    Rules are tried in order; the first that holds decides. A customer no rule matches keeps
    stage null (the caller reports it). ``explain=False`` returns customer_id and stage only
    (a dry run reads nothing else, every day of a year).
    """
    features = features.with_columns(
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in MODEL_FIELDS.items()
        if name not in features.columns
    )
    features = with_derived_fields(features, stage_policy.params)
    stage = pl.lit(None, dtype=pl.String)
    rule = pl.lit(None, dtype=pl.String)
    numbers = pl.lit(None, dtype=pl.String)
    fields = set(features.columns)
    for r in reversed(stage_policy.rules):  # built inside out: earlier rules win
        hit = to_polars(r.when, stage_policy.params, fields)
        stage = pl.when(hit).then(pl.lit(r.stage)).otherwise(stage)
        if not explain:
            continue
        explained = (
            pl.struct([pl.col(f) for f in r.explain]).struct.json_encode()
            if (r.explain)
            else pl.lit("{}")
        )
        rule = pl.when(hit).then(pl.lit(r.key)).otherwise(rule)
        numbers = pl.when(hit).then(explained).otherwise(numbers)
    if not explain:
        return features.select("customer_id", stage.alias("stage"))
    return features.select(
        "customer_id", stage.alias("stage"), rule.alias("rule"), numbers.alias("numbers")
    )


def transitions(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Return customers whose stage changed or who are new to the run, with the rule."""
    joined = current.join(
        previous.select("customer_id", pl.col("stage").alias("from_stage")),
        on="customer_id",
        how="left",
    )
    changed = joined.filter(
        pl.col("from_stage").is_null() | (pl.col("from_stage") != pl.col("stage"))
    )
    return changed.select(
        "customer_id", "from_stage", pl.col("stage").alias("to_stage"), "rule", "numbers"
    )


def stage_counts(stages: pl.DataFrame, order: Sequence[str] = STAGES) -> dict[str, int]:
    """Return the number of customers in every stage, in lifecycle order."""
    counts = dict(stages.group_by("stage").len().iter_rows())
    return {s: int(counts.get(s, 0)) for s in order}
