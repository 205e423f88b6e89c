"""The learned lead-conversion model: P(a lead buys within the horizon), once the past allows.

Like the churn model (docs/stages.md), it learns from the store's own past: leads (customers
with no paid purchase yet) as of d − 2H are labelled by whether they bought in the next H days
and train the model; leads as of d − H test it against the rule-based lead score; leads as of
both train the model that scores today's leads. It needs at least ``min_per_class`` converted
and unconverted leads in each past snapshot; until then ``lead_conversion`` stays empty and
the run says why.

Inputs: how long ago the lead arrived, engagement and activity (events in 30 days and the 30
before, days since the last event), support tickets, last NPS, email consent, and the
acquisition channel and company size as categories (codes learned from the training leads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from tenure.analytics import boosting
from tenure.analytics.churn.evaluate import calibrated_baseline, quality
from tenure.analytics.features import day_number
from tenure.analytics.leads import LeadParams, lead_scores
from tenure.analytics.past_snapshots import NotEnoughHistory, Split, at_most, enough_of_each

NUMERIC = (
    "acquired_days",
    "engagement",
    "events_30",
    "events_prior_30",
    "days_since_event",
    "tickets_90",
    "last_nps",
    "email_consent",
)
CATEGORIES = ("acquisition_channel", "company_size")
NAMES = (*NUMERIC, *CATEGORIES)


@dataclass(frozen=True)
class ConversionParams:
    """How far ahead conversion is judged and how many examples the model needs."""

    horizon_days: int = 90
    min_per_class: int = 50
    max_training_rows: int = 300_000
    lead_params: LeadParams = LeadParams()


def _codes(train: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Category → code, from the training leads (an unseen category becomes missing)."""
    return {
        name: {v: i for i, v in enumerate(sorted(train[name].drop_nulls().unique().to_list()))}
        for name in CATEGORIES
    }


def _matrix(leads: pl.DataFrame, codes: Mapping[str, Mapping[str, int]]) -> np.ndarray:
    numeric = leads.select(pl.col(n).cast(pl.Float64) for n in NUMERIC)
    coded = leads.select(
        pl.col(n).replace_strict(dict(codes[n]), default=None, return_dtype=pl.Float64)
        for n in CATEGORIES
    )
    return pl.concat([numeric, coded], how="horizontal").fill_null(float("nan")).to_numpy()


def _labelled(
    frames: Mapping[str, pl.DataFrame],
    features_at: Callable[[date], pl.DataFrame],
    day: date,
    params: ConversionParams,
) -> pl.DataFrame:
    leads = features_at(day).filter(pl.col("purchase_days") == 0)
    d = day_number(day)
    bought = (
        frames["orders"]
        .filter(
            (pl.col("status") == "paid") & pl.col("day").is_between(d + 1, d + params.horizon_days)
        )
        .select("customer_id")
        .unique()["customer_id"]
    )
    labelled = leads.with_columns(
        pl.col("customer_id").is_in(bought.implode()).cast(pl.Int8).alias("converted")
    )
    return enough_of_each(
        labelled,
        "converted",
        params.min_per_class,
        lambda converted, not_converted: (
            f"the leads of {day} hold {converted} who bought within {params.horizon_days} days "
            f"and {not_converted} who did not; at least {params.min_per_class} of each are needed"
        ),
    )


def _fit(train: pl.DataFrame, codes: Mapping[str, Mapping[str, int]]) -> boosting.BoostedModel:
    return boosting.train(
        _matrix(train, codes),
        train["converted"].to_numpy(),
        boosting.calibration_rows(train["customer_id"]),
        NAMES,
    )


def lead_conversion(
    frames: Mapping[str, pl.DataFrame],
    features: pl.DataFrame,
    as_of: date,
    features_at: Callable[[date], pl.DataFrame],
    params: ConversionParams | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return (customer_id, lead_conversion) for today's leads and the diagnostics."""
    params = params or ConversionParams()
    split = Split.before(as_of, params.horizon_days)
    diagnostics = split.diagnostics()
    empty = features.select("customer_id").with_columns(
        pl.lit(None, dtype=pl.Float64).alias("lead_conversion")
    )
    try:
        train, test = split.labelled(lambda day: _labelled(frames, features_at, day, params))
    except NotEnoughHistory as exc:
        diagnostics["skipped"] = str(exc)
        return empty, diagnostics
    train = at_most(train, params.max_training_rows)
    codes = _codes(train)
    evaluated = _fit(train, codes)
    y_train, y_test = train["converted"].to_numpy(), test["converted"].to_numpy()

    def rule_score(leads: pl.DataFrame) -> np.ndarray:
        scored = lead_scores(leads, params.lead_params)
        return scored["lead_score"].fill_null(0.0).to_numpy().reshape(-1, 1)

    diagnostics["metrics"] = {
        "model": quality(y_test, evaluated.predict(_matrix(test, codes))),
        "lead_score": quality(
            y_test, calibrated_baseline(rule_score(train), y_train, rule_score(test))
        ),
    }
    diagnostics["test"] = {
        "leads": test.height,
        "conversion_rate": round(int(test["converted"].sum()) / test.height, 4),
    }
    both = at_most(pl.concat([train, test], how="vertical_relaxed"), params.max_training_rows)
    codes = _codes(both)
    final = _fit(both, codes)
    diagnostics["importance"] = final.importance()
    leads = features.filter(pl.col("purchase_days") == 0)
    if leads.height == 0:
        return empty, diagnostics
    scored = pl.DataFrame(
        {
            "customer_id": leads["customer_id"],
            "lead_conversion": np.round(final.predict(_matrix(leads, codes)), 4),
        }
    )
    return features.select("customer_id").join(scored, on="customer_id", how="left"), diagnostics
