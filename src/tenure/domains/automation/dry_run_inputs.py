"""What a dry run reads from the store, and the checks on the range it is asked for.

Reads only: a snapshot like a scoring run's (reaching back far enough for the first day's
churn model), the customers' fields, the users' names, the published playbooks and the
settings. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection

from tenure.analytics.churn import ChurnParams
from tenure.analytics.daily_scores import ScoreParams
from tenure.analytics.features import EPOCH, FEATURE_EVENT_DAYS, FeatureParams, day_number
from tenure.analytics.stages import policy
from tenure.domains.automation import repository as repo
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.dry_run_replay import History, Rules
from tenure.domains.automation.models import PlaybookStatus
from tenure.domains.preferences import service as preferences
from tenure.domains.scoring import pipeline
from tenure.domains.scoring.snapshot import take_snapshot
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import Settings

LONGEST_DAYS = 3 * 366  # a dry run of more days would keep a worker busy for long
# the customers' fields a condition may name, with their types
FIELDS: dict[str, Any] = {
    "acquisition_channel": pl.String,
    "country": pl.String,
    "region": pl.String,
    "city": pl.String,
    "industry": pl.String,
    "company_size": pl.String,
    "gender": pl.String,
    "email_consent": pl.Boolean,
    "sms_consent": pl.Boolean,
    "owner_id": pl.Int64,
}


class BadRange(InvalidInput):
    """A range a dry run cannot walk; ``field`` is "from" or "to"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Inputs:
    """Everything a dry run walks over."""

    history: History
    rules: Rules
    params: ScoreParams
    others: list[Playbook]
    start: date  # the first day a scores table is needed for (the day before ``first``)


def check_range(first: date, last: date, earliest: date | None, today: date) -> None:
    """Raise BadRange unless ``first``..``last`` lies within history, in order, not too long."""
    field = "from"
    if first > last:
        raise BadRange(field, f"{field}: {first} is after to ({last})")
    if earliest is None:
        raise BadRange(field, f"{field}: the store holds no customers yet, so no history")
    if first <= earliest:
        raise BadRange(
            field, f"{field}: {first} is not after the first day of history ({earliest})"
        )
    field = "to"
    if last > today:
        raise BadRange(field, f"{field}: {last} is in the future; history ends today ({today})")
    if (last - first).days >= LONGEST_DAYS:
        raise BadRange(
            field, f"{field}: at most {LONGEST_DAYS} days at once, not {(last - first).days + 1}"
        )


def score_params(settings: Settings, leads: bool) -> ScoreParams:
    """Return the day-by-day scoring's parameters from the settings the scoring run uses."""
    churn = settings.churn
    return ScoreParams(
        stage_policy=policy(settings.stages.preset, settings.stages.params()),
        features=FeatureParams(
            churn_after_days=settings.stages.churn_after_days,
            engagement_half_life_days=settings.leads.engagement_half_life_days,
        ),
        health=pipeline.health_params(settings),
        leads=pipeline.lead_params(settings) if leads else None,
        churn=ChurnParams(
            horizon_days=churn.horizon_days,
            max_training_rows=churn.max_training_rows,
            value_model=settings.value.model,
        )
        if churn.enabled
        else None,
        value_model=settings.value.model,
        p_alive_from_churn=settings.value.p_alive == "churn_model",
    )


def others_of(conn: Connection, name: str) -> list[Playbook]:
    """Return the other active playbooks, as published (collisions, the frequency cap)."""
    return [
        Playbook.model_validate(p.definition)
        for p in repo.all_published(conn)
        if p.name != name and p.status == PlaybookStatus.ACTIVE.value
    ]


def read_inputs(
    conn: Connection,
    first: date,
    last: date,
    today: date,
    settings: Settings,
    leads: bool,
    others: list[Playbook],
) -> Inputs:
    """Check the range and read what a dry run needs; ``others`` replay beside it."""
    settings = preferences.effective(conn, settings)  # thresholds saved in the web app win
    churn = settings.churn
    horizon = churn.horizon_days if churn.enabled else 0
    start = first - timedelta(days=1)
    event_days = (today - start).days + FEATURE_EVENT_DAYS + 2 * horizon + 1
    frames = take_snapshot(conn, today, settings.business.timezone, event_days)
    acquired = frames["customers"]["acquired_day"].min()
    earliest = EPOCH + timedelta(days=int(acquired)) if acquired is not None else None  # type: ignore[arg-type]
    check_range(first, last, earliest, today)
    # goals are observed up to the last day history holds anything (a store not fed lately
    # must not count an empty fortnight as "no purchase")
    days = pl.concat(
        [frames[name].select(pl.col("day").cast(pl.Int64)) for name in ("orders", "events")]
    )
    latest = days["day"].max()
    latest = day_number(today) if latest is None else latest
    end = min(today, EPOCH + timedelta(days=int(latest)))  # type: ignore[arg-type]
    history = History(frames, repo.customer_fields(conn, FIELDS), end, repo.user_names(conn))
    messaging = settings.messaging
    rules = Rules(
        settings.automation.global_control_share, messaging.marketing_cap, messaging.cap_days
    )
    return Inputs(history, rules, score_params(settings, leads), others, start)
