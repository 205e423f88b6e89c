"""A scoring run: snapshot → features → stages → history, transitions and current stages.

The run is a pure function of the store as of its day and of the configuration: running the
same day again with the same data and settings returns the earlier run instead of writing a
new one, and a past day reproduces the stages of the past.

The stage history and the moves between stages are the lifecycle domain's
(``tenure.domains.lifecycle.writeback``). A run that becomes the current one hands its moves
to playbook triggers the one way every domain does: as ``stage_changed`` events in the feed,
written in its own transaction (``tenure.domains.events.feed``). What the pages, the CLI
and the API read of the runs is in ``reports.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection

from tenure.analytics.churn import ChurnParams, churn_risk, no_risk
from tenure.analytics.conversion import ConversionParams, lead_conversion
from tenure.analytics.features import (
    FEATURE_EVENT_DAYS,
    FeatureParams,
    compute_features,
    cut_frames,
    day_number,
)
from tenure.analytics.kpis import KpiInputs, compute_kpis
from tenure.analytics.stages import policy, stage_counts
from tenure.domains.crosssell import compute as cross_sell
from tenure.domains.crosssell import repository as cross_sell_repo
from tenure.domains.events import feed
from tenure.domains.events.models import EventSource
from tenure.domains.lifecycle import repository as lifecycle_repo
from tenure.domains.lifecycle import writeback
from tenure.domains.loyalty import nightly as loyalty_nightly
from tenure.domains.preferences import service as preferences
from tenure.domains.scoring import crossings, pipeline
from tenure.domains.scoring import repository as repo
from tenure.domains.scoring.models import SCORE_COLUMNS
from tenure.domains.scoring.snapshot import (
    fingerprint,
    take_purchases,
    take_snapshot,
    take_spend,
)
from tenure.domains.segments import service as segments_service
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.arrow import ArrowReader


@dataclass
class RunResult:
    """What a scoring run did."""

    run_id: int
    as_of: date
    reused: bool
    customers: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    transitions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    # the moves the run wrote: customer_id, from_stage (None for a newcomer), to_stage,
    # reason (the rule that decided) and as_of; empty for a reused run
    moves: pl.DataFrame = field(default_factory=writeback.no_moves, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain data."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "reused": self.reused,
            "customers": self.customers,
            "stages": self.stages,
            "transitions": self.transitions,
            "seconds": self.seconds,
        }


# Part of every run's configuration hash: bump it whenever what a run computes changes, so a
# newer Tenure never reuses an older run for the same day and data.
# 1: stages, 2: value, 3: RFM segments, 4: health, 5: leads, 6: churn, 7: KPIs, 8: conversion,
# 9: churn label without email opens and clicks, P(alive) from the churn model, new stage rules,
# 10: cross-sell sequences and next best offers, 11: product offers ranked by a learned
# propensity (BPR)
SCORING_VERSION = 11


def _config_hash(settings: Settings) -> str:
    stage_policy = policy(settings.stages.preset, settings.stages.params())
    text = (
        f"{SCORING_VERSION}|{stage_policy.fingerprint()}|{settings.business.timezone}|"
        f"{settings.value.model_dump_json()}|{settings.health.model_dump_json()}|"
        f"{settings.leads.model_dump_json()}|{settings.churn.model_dump_json()}|"
        f"{settings.cross_sell.model_dump_json()}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ComputedRun:
    """A run computed from a snapshot of the store, not written yet (``save_run`` writes it)."""

    as_of: date
    config: str
    data: str
    preset: str
    parameters: dict[str, Any]
    stages: pl.DataFrame  # every customer's stage, rule and numbers
    value: pl.DataFrame  # the scores
    kpis: dict[str, Any]
    diagnostics: dict[str, Any]
    seconds: dict[str, float]
    timezone: str = "UTC"  # the business day's zone: when the run's stage changes happened
    # the sequences, offers and their evaluation (tenure.domains.crosssell)
    cross_sell: cross_sell.CrossSell = field(default_factory=cross_sell.CrossSell)


def run_scoring(
    conn: Connection, as_of: date, settings: Settings, reader: ArrowReader | None = None
) -> RunResult:
    """Score every customer as of ``as_of`` in the caller's transaction; the caller commits.

    ``reader`` (``tenure.storage.arrow.arrow_reader``) reads the big tables through a faster
    connection of its own; pass it only when ``conn`` has written nothing yet. A store that
    others write to at the same time is scored in two transactions instead (``compute_run``,
    then ``save_run``: ``tenure.worker.runs.score``).
    """
    computed = compute_run(conn, as_of, settings, reader)
    return computed if isinstance(computed, RunResult) else save_run(conn, computed)


def compute_run(
    conn: Connection, as_of: date, settings: Settings, reader: ArrowReader | None = None
) -> ComputedRun | RunResult:
    """Read the store and compute a run as of ``as_of``, writing nothing.

    Returns the earlier run instead when one exists for the same day, data and settings.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    settings = preferences.effective(conn, settings)  # thresholds saved in the web app win
    churn = settings.churn
    # the churn and conversion models learn from snapshots one and two horizons back: read
    # their events too
    horizon = max(
        churn.horizon_days if churn.enabled else 0, settings.leads.conversion_horizon_days
    )
    event_days = FEATURE_EVENT_DAYS + 2 * horizon
    frames = take_snapshot(conn, as_of, settings.business.timezone, event_days, reader)
    frames["spend"] = take_spend(conn, as_of)  # in the fingerprint too
    purchases = (
        take_purchases(conn, as_of, settings.business.timezone)
        if settings.cross_sell.enabled
        else pl.DataFrame()
    )
    timings["snapshot"] = time.perf_counter() - clock
    config, data = _config_hash(settings), fingerprint({**frames, "purchases": purchases})
    if (existing := repo.find_run(conn, as_of, config, data)) is not None:
        return _reused(conn, existing, as_of)
    clock = time.perf_counter()
    stage_settings = settings.stages
    feature_params = FeatureParams(
        churn_after_days=stage_settings.churn_after_days,
        engagement_half_life_days=settings.leads.engagement_half_life_days,
    )

    computed: dict[date, pl.DataFrame] = {}
    today = cut_frames(frames, day_number(as_of))  # the features' and the KPIs' view

    def features_at(day: date) -> pl.DataFrame:
        # the churn and conversion models both look back one and two horizons: compute once
        if day not in computed:
            if day == as_of:
                computed[day] = compute_features(today, day, feature_params)
            else:  # for the learned models, which need no comebacks
                known = cut_frames(frames, day_number(day))
                past = dataclasses.replace(feature_params, comebacks=False)
                computed[day] = compute_features(known, day, past)
        return computed[day]

    features = features_at(as_of)
    timings["features"] = time.perf_counter() - clock
    clock = time.perf_counter()
    # churn first: its risk gives P(alive), which health and the stages read
    risk, churn_diagnostics = _churn(frames, features, as_of, features_at, settings)
    timings["churn"] = time.perf_counter() - clock
    clock = time.perf_counter()
    value, value_diagnostics = pipeline.customer_scores(features, settings, risk)
    timings["value"] = time.perf_counter() - clock
    clock = time.perf_counter()
    conversion, conversion_diagnostics = lead_conversion(
        frames,
        features,
        as_of,
        features_at,
        ConversionParams(
            horizon_days=settings.leads.conversion_horizon_days,
            lead_params=pipeline.lead_params(settings),
        ),
    )
    value = value.join(conversion, on="customer_id", how="left")
    timings["conversion"] = time.perf_counter() - clock
    clock = time.perf_counter()
    learned = value_diagnostics["p_alive_source"] == "churn_model"
    stages = pipeline.stages_of(features, value, settings, learned)
    value = pipeline.without_risk_for_churned(value, stages)
    timings["stages"] = time.perf_counter() - clock
    clock = time.perf_counter()
    kpis = compute_kpis(
        today,
        as_of,
        KpiInputs(
            spend=frames["spend"],
            categories=frames["categories"],
            stages=stages.select("customer_id", "stage"),
            segments=value.select("customer_id", "rfm_segment"),
            value=value.select("customer_id", "clv"),
            churn_after_days=stage_settings.churn_after_days,
            margin=settings.value.margin,
        ),
    )
    timings["kpis"] = time.perf_counter() - clock
    clock = time.perf_counter()
    sequences = cross_sell.cross_sell(purchases, day_number(as_of), settings.cross_sell)
    timings["cross_sell"] = time.perf_counter() - clock
    return ComputedRun(
        as_of=as_of,
        config=config,
        data=data,
        preset=stage_settings.preset,
        parameters={"stages": stage_settings.params(), "preset": stage_settings.preset},
        stages=stages,
        value=value,
        kpis=kpis,
        diagnostics={
            "value": value_diagnostics,
            "churn": churn_diagnostics,
            "lead_conversion": conversion_diagnostics,
            "cross_sell": sequences.diagnostics,
        },
        seconds=timings,
        timezone=settings.business.timezone,
        cross_sell=sequences,
    )


def save_run(conn: Connection, run: ComputedRun) -> RunResult:
    """Write a computed run: its history, transitions, scores and KPIs; the caller commits.

    Everything is written in this one transaction, so a failure leaves no trace of the run.
    If an equal run (same day, data and settings) was saved meanwhile, that one is returned.
    A run that is the latest also writes its moves to the event feed (``stage_changed``),
    in the same transaction; a run of a past day changes no current stage and writes none.
    """
    if (existing := repo.find_run(conn, run.as_of, run.config, run.data)) is not None:
        return _reused(conn, existing, run.as_of)
    clock = time.perf_counter()
    run_id = repo.start_run(
        conn, run.as_of, run.preset, run.config, run.data, run.parameters, utcnow()
    )
    # the moves count from the latest run before this day as saved by now (another run may
    # have been saved while this one computed)
    previous = repo.previous_run(conn, run.as_of)
    before = lifecycle_repo.history(conn, previous)
    changes = writeback.stage_changes(before, run.stages, run.as_of)
    scores = run.value.select(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"), "customer_id", *SCORE_COLUMNS
    )
    repo.write_results(conn, writeback.history_rows(run_id, changes), scores)
    repo.write_kpis(conn, run_id, run.as_of, run.kpis)
    cross_sell_repo.write_run(conn, run_id, run.cross_sell)
    # done: if its day is the latest, the run's stages and scores are now the current ones
    repo.mark_done(conn, run_id)
    loyalty_done: dict[str, Any] = {}
    if repo.latest_run(conn) == run_id:  # triggers act on current stages, not a past day's
        # a store's first run places everyone at once: that is no news to react to
        events = writeback.stage_events(run_id, changes, run.timezone, first=previous is None)
        crossed = crossings.band_changes(repo.bands(conn, previous), run.value)
        events += crossings.crossing_events(run_id, crossed, run.as_of, run.timezone)
        # loyalty as of the run's day: earn, expire, review tiers (tier_changed events)
        loyalty = loyalty_nightly.run_day(conn, run.as_of)
        events += loyalty.events
        feed.append(conn, EventSource.RUN, events)
        loyalty_done = loyalty.done
    segment_counts = segments_service.refresh_all(conn)  # members follow the new scores
    seconds = {**run.seconds, "write": time.perf_counter() - clock}
    counts = stage_counts(run.stages)
    result = RunResult(
        run_id,
        run.as_of,
        reused=False,
        customers=run.stages.height,
        stages=counts,
        transitions=changes.moved.height,
        seconds={k: round(v, 3) for k, v in seconds.items()},
        moves=changes.moves(),
    )
    repo.finish_run(
        conn,
        run_id,
        {
            "customers": result.customers,
            "stages": counts,
            "transitions": result.transitions,
            "seconds": result.seconds,
            **run.diagnostics,
            "segments": segment_counts,
            **({"loyalty": loyalty_done} if loyalty_done else {}),
        },
        utcnow(),
    )
    return result


def _reused(conn: Connection, run_id: int, as_of: date) -> RunResult:
    """Return the result of an earlier, equal run."""
    counts = repo.run_record(conn, run_id)["counts"] or {}
    return RunResult(
        run_id,
        as_of,
        reused=True,
        customers=counts.get("customers", 0),
        stages=counts.get("stages", {}),
        transitions=counts.get("transitions", 0),
    )


def _churn(
    frames: dict[str, pl.DataFrame],
    features: pl.DataFrame,
    as_of: date,
    features_at: Callable[[date], pl.DataFrame],
    settings: Settings,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    churn = settings.churn
    if not churn.enabled:
        return no_risk(features), {
            "skipped": "the churn model is turned off ([churn] enabled = false)"
        }
    params = ChurnParams(
        horizon_days=churn.horizon_days,
        max_training_rows=churn.max_training_rows,
        value_model=settings.value.model,
    )
    return churn_risk(frames, features, as_of, features_at, params)
