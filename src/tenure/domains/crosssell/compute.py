"""A run's cross-sell: sequences of both levels, every customer's offers and their evaluation.

Pure: from the paid order lines up to the run's day (``scoring.snapshot.take_purchases``) and
the ``[cross_sell]`` settings. The statistics are ``tenure.analytics.sequences`` and
``offers``; the evaluation on a later time split is ``offers_evaluation``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from tenure.analytics.offers import OFFER_SCHEMA, OfferParams, offers
from tenure.analytics.offers_evaluation import ITEM_COLUMN, evaluate
from tenure.analytics.propensity import PropensityParams, learned_ranking
from tenure.analytics.sequences import (
    PAIR_SCHEMA,
    SequenceParams,
    firsts_and_repeats,
    level_pairs,
)
from tenure.kit.settings.cross_sell import CrossSellSettings

EPOCH = date(1970, 1, 1)


@dataclass
class CrossSell:
    """What a run found: pairs (PAIR_SCHEMA), offers (OFFER_SCHEMA + level) and figures."""

    pairs: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PAIR_SCHEMA))
    offers: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={**OFFER_SCHEMA, "level": pl.String})
    )
    diagnostics: dict[str, Any] = field(default_factory=dict)


def sequence_params(settings: CrossSellSettings) -> SequenceParams:
    """Return the sequences' parameters from the settings."""
    return SequenceParams(
        min_support=settings.min_support,
        max_items=settings.basket_cap,
        window_days=settings.window_days,
    )


def offer_params(settings: CrossSellSettings) -> OfferParams:
    """Return the offers' parameters from the settings."""
    return OfferParams(per_customer=settings.k, min_z=settings.min_z)


def learned_params(
    settings: CrossSellSettings, level: str, firsts: pl.DataFrame
) -> PropensityParams | None:
    """Return the learned model's parameters when it ranks this level's offers, else None.

    It does at ``learned_levels`` once at least ``learned_min_customers`` customers bought,
    up to ``learned_max_pairs`` customer-item pairs (the fit's cost grows with them).
    """
    if level not in settings.learned_levels or firsts.height > settings.learned_max_pairs:
        return None
    if firsts["customer_id"].n_unique() < settings.learned_min_customers:
        return None
    return PropensityParams(factors=settings.learned_factors)


def day_of(day: int) -> date:
    """Return the date of a day number (days since 1970-01-01)."""
    return EPOCH + timedelta(days=int(day))


def cross_sell(
    purchases: pl.DataFrame,
    as_of_day: int,
    settings: CrossSellSettings,
    evaluate_split: bool = True,
) -> CrossSell:
    """Return the run's sequences, offers and (``evaluate_split``) their evaluation."""
    if not settings.enabled:
        return CrossSell(diagnostics={"skipped": "[cross_sell] enabled = false"})
    seq, off = sequence_params(settings), offer_params(settings)
    pairs, offered = [], []
    figures: dict[str, Any] = {"levels": {}, "seconds": {}, "window_days": seq.window_days}
    for level in settings.levels:
        clock = time.perf_counter()
        firsts, repeats = firsts_and_repeats(purchases, level, seq.max_items)
        found = level_pairs(firsts, level, as_of_day, seq)
        mine = offers(firsts, found, repeats, as_of_day, off)
        learned = learned_params(settings, level, firsts)
        if learned is not None:
            mine = learned_ranking(
                purchases, firsts, repeats, mine, as_of_day, learned, off, ITEM_COLUMN[level]
            )
        mine = mine.with_columns(level=pl.lit(level))
        figures["seconds"][level] = round(time.perf_counter() - clock, 3)
        pairs.append(found)
        offered.append(mine)
        level_figures: dict[str, Any] = {
            "pairs": found.height,
            "strong_pairs": int((found["z"] >= off.min_z).sum()) if found.height else 0,
            "customers_with_offers": mine["customer_id"].n_unique(),
            "learned": None if learned is None else {"model": learned.model, **_sources(mine)},
        }
        if evaluate_split:
            clock = time.perf_counter()
            level_figures["evaluation"] = evaluate(
                purchases,
                as_of_day,
                settings.evaluation_horizon_days,
                level,
                seq,
                off,
                learned,
            )
            figures["seconds"][f"{level}_evaluation"] = round(time.perf_counter() - clock, 3)
        figures["levels"][level] = level_figures
    return CrossSell(
        pairs=pl.concat(pairs) if pairs else CrossSell().pairs,
        offers=pl.concat(offered) if offered else CrossSell().offers,
        diagnostics=figures,
    )


def _sources(offered: pl.DataFrame) -> dict[str, int]:
    """Return how many offers each source made (sequence, learned, popular)."""
    counts = offered.group_by("source").len()
    return {str(s): int(n) for s, n in counts.iter_rows()}


def pair_rows(run_id: int, pairs: pl.DataFrame) -> pl.DataFrame:
    """Return the rows of ``sequence_pairs`` for a run."""
    return pairs.select(
        pl.lit(run_id, pl.Int64).alias("run_id"),
        *[c for c in PAIR_SCHEMA if c != "p_value"],
    )


def offer_rows(run_id: int, offered: pl.DataFrame) -> pl.DataFrame:
    """Return the rows of ``customer_offers`` for a run (day numbers become dates)."""
    return offered.select(
        pl.lit(run_id, pl.Int64).alias("run_id"),
        "customer_id",
        "level",
        "rank",
        "item",
        "category",
        "score",
        "source",
        "from_item",
        pl.col("from_day").cast(pl.Date).alias("from_on"),
        "share",
        "share_within",
        "lag_median",
        pl.col("due_day").cast(pl.Date).alias("due_on"),
    )
