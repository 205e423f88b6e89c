"""What playbook triggers read, for every day of a range: stage, churn risk, P(alive), bands.

A dry run replays a playbook over history, so it needs each customer's stage and scores as a
scoring run of each day would have given them. Running the scoring run 365 times would take
hours; this walks the days once:

- the features come from ``daily_features`` (one pass, per-customer state);
- the learned models are refitted every ``refit_days`` days on the past only: the churn model
  exactly as a run of the refit day learns it (``churn.fit_as_of``), the transaction model on
  the refit day's features; the days between score with the latest fit (a run would refit
  daily; the models move little in a month). By default the refits are a divisor of the churn
  horizon apart (30 days for 90), so the snapshots one and two horizons back fall on the same
  days for two refits, and each is computed once;
- P(alive) is 1 − churn risk where the churn model scored, else the transaction model's, as in
  the run (``value.p_alive = "churn_model"``); health and stages follow from it, as in
  ``domains/scoring/pipeline``; lead scores only when asked for.

No look-ahead: the model of day d learns from snapshots that end at d (labels up to d).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from tenure.analytics.boosting import BoostedModel
from tenure.analytics.churn import ChurnParams, fit_as_of, risk_of
from tenure.analytics.clv import BetaGeo, ParetoNBD
from tenure.analytics.daily_features import daily_features
from tenure.analytics.features import FeatureParams, compute_features, cut_frames, day_number
from tenure.analytics.health import HealthParams, health
from tenure.analytics.leads import LeadParams, lead_scores
from tenure.analytics.stages import StagePolicy, assign_stages
from tenure.analytics.value import alive_with, transaction_model

REFIT_DAYS = 28  # when the horizon has no divisor between 14 and 30 days
# what every day's table holds (lead columns too when lead scores are asked for)
COLUMNS = ("customer_id", "stage", "churn_risk", "p_alive", "health_score", "health_band")
LEAD_COLUMNS = ("lead_fit", "lead_engagement", "lead_score", "lead_band")


@dataclass(frozen=True)
class ScoreParams:
    """How each day is scored: the run's settings, and how often the models learn again."""

    stage_policy: StagePolicy
    features: FeatureParams = field(default_factory=FeatureParams)
    health: HealthParams = field(default_factory=HealthParams)
    leads: LeadParams | None = None  # None: no lead scores (no trigger reads them)
    churn: ChurnParams | None = field(default_factory=ChurnParams)  # None: model turned off
    value_model: str = "bgnbd"
    p_alive_from_churn: bool = True
    refit_days: int | None = None  # None: refit_every() chooses from the churn horizon


@dataclass
class Models:
    """The models scoring the days since their refit day."""

    day: date
    churn: BoostedModel | None
    transaction: BetaGeo | ParetoNBD | None


def refit_every(params: ScoreParams) -> int:
    """Return the days between refits.

    ``refit_days`` if set, else the largest divisor of the churn horizon up to 30 days (so the
    refits share their past snapshots), else REFIT_DAYS.
    """
    if params.refit_days is not None:
        return params.refit_days
    horizon = params.churn.horizon_days if params.churn is not None else 90
    shared = max(days for days in range(1, 31) if horizon % days == 0)
    return shared if shared >= 14 else REFIT_DAYS


def fit_models(
    frames: Mapping[str, pl.DataFrame],
    day: date,
    features: pl.DataFrame,
    params: ScoreParams,
    snapshots: dict[date, pl.DataFrame] | None = None,
) -> Models:
    """Fit the models a scoring run of ``day`` uses, from what was known by its end.

    ``snapshots`` keeps the past snapshots computed so far, by day, for the next refits.
    """
    transaction = transaction_model(features, params.value_model)
    if params.churn is None:
        return Models(day, None, transaction)
    past = dataclasses.replace(params.features, comebacks=False)
    kept = {} if snapshots is None else snapshots

    def features_at(when: date) -> pl.DataFrame:  # the run's past snapshots, as it takes them
        if when not in kept:
            kept[when] = compute_features(cut_frames(frames, day_number(when)), when, past)
        return kept[when]

    return Models(day, fit_as_of(frames, day, features_at, params.churn), transaction)


def scores_of(features: pl.DataFrame, models: Models, params: ScoreParams) -> pl.DataFrame:
    """Return one day's stage and scores from its features, as the scoring run derives them."""
    ids = features.select("customer_id")
    if models.transaction is not None:
        value = ids.with_columns(alive_with(models.transaction, features).alias("p_alive"))
    else:
        value = ids.with_columns(pl.lit(None, dtype=pl.Float64).alias("p_alive"))
    learned = False
    if models.churn is not None:
        value = value.with_columns(risk_of(models.churn, features)["churn_risk"])
        if params.p_alive_from_churn and not value["churn_risk"].is_null().all():
            learned = True
            alive = (1.0 - pl.col("churn_risk")).round(4)
            value = value.with_columns(
                pl.when(pl.col("churn_risk").is_not_null())
                .then(alive)
                .otherwise(pl.col("p_alive"))
                .alias("p_alive")
            )
    else:
        value = value.with_columns(pl.lit(None, dtype=pl.Float64).alias("churn_risk"))
    with_alive = features.with_columns(value["p_alive"])
    bands = health(with_alive, params.health, reasons=False)
    model = with_alive.with_columns(bands["health_band"], pl.lit(learned).alias("p_alive_learned"))
    stages = assign_stages(model, params.stage_policy, explain=False)
    out = ids.with_columns(
        stages["stage"],
        # a churned customer has left already: no churn risk (as the run clears it)
        pl.when(stages["stage"] != "churned").then(value["churn_risk"]).alias("churn_risk"),
        value["p_alive"],
        bands["health_score"],
        bands["health_band"],
    )
    if params.leads is not None:
        leads = lead_scores(features, params.leads)
        out = out.with_columns(leads[name] for name in LEAD_COLUMNS)
    return out


def daily_scores(
    frames: Mapping[str, pl.DataFrame], first_day: date, last_day: date, params: ScoreParams
) -> Iterator[tuple[date, pl.DataFrame]]:
    """Yield ``(day, scores)`` for every day from ``first_day`` to ``last_day`` inclusive.

    ``frames`` is a snapshot of ``last_day`` with events reaching 2 × the churn horizon + 90
    days before ``first_day`` (the models' past snapshots); scores has COLUMNS (and
    LEAD_COLUMNS with lead parameters), one row per customer known by that day.
    """
    models: Models | None = None
    every = timedelta(days=refit_every(params))
    snapshots: dict[date, pl.DataFrame] = {}
    for day, features in daily_features(frames, first_day, last_day, params.features):
        if models is None or day - models.day >= every:
            models = fit_models(frames, day, features, params, snapshots)
            # a snapshot older than the next refit's first one serves no refit again
            horizon = timedelta(days=2 * params.churn.horizon_days if params.churn else 0)
            for old in [when for when in snapshots if when < day + every - horizon]:
                del snapshots[old]
        yield day, scores_of(features, models, params)
