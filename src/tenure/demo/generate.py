"""Generate the whole demo company in memory, deterministically from (seed, size, profile, end)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tenure.demo.activity import draw_events, draw_surveys, event_frame
from tenure.demo.config import SAAS_DROPOUT, DemoConfig
from tenure.demo.future import cut_events, cut_orders, next_active
from tenure.demo.people import customer_frame, users_frame
from tenure.demo.population import Population, draw_population, lives
from tenure.demo.purchases import draw_orders, order_frames
from tenure.demo.saas import draw_invoices
from tenure.demo.sequences import plant as plant_sequences
from tenure.demo.spend import spend_frame
from tenure.demo.timeline import to_timestamps

Step = Callable[[str], None]


@dataclass
class DemoData:
    """Store-shaped frames of the demo company, plus the truth behind them."""

    tables: dict[str, pl.DataFrame]  # store table name -> frame, in load order
    truth: pl.DataFrame
    parameters: dict[str, Any]

    def counts(self) -> dict[str, int]:
        """Return the number of rows of every table."""
        return {name: frame.height for name, frame in self.tables.items()}


def effective_config(config: DemoConfig) -> DemoConfig:
    """Subscriptions follow their own lifetimes (SAAS_DROPOUT), longer than shopping habits."""
    if config.profile == "saas":
        latent = dataclasses.replace(config.latent, **SAAS_DROPOUT)
        return dataclasses.replace(config, latent=latent)
    return config


def _truth(
    pop: Population, config: DemoConfig, external: pl.Series, next_active: np.ndarray
) -> pl.DataFrame:
    def in_history(t: np.ndarray) -> pl.Series:
        return to_timestamps(np.where(t < config.days, t, np.nan), config)

    return pl.DataFrame(
        {
            "customer_id": external,
            "channel": pl.Series([c.key for c in config.channels])[pop.channel],
            "buyer": pop.buyer,
            "first_purchase_at": to_timestamps(pop.first, config),
            "purchase_rate_per_day": pop.lam,
            "dropout_rate_per_day": pop.mu,
            "left_at": in_history(pop.death),
            "won_back_at": in_history(pop.comeback),
            "left_again_at": in_history(pop.death2),
            "spend_nu": pop.nu,
            "mean_order_value": config.latent.p / pop.nu,
            "activity_per_day": pop.activity,
            "next_active_at": to_timestamps(next_active, config),
            # the survey answers' truth (tenure.demo.surveys): when a customer alive near the
            # end of the history leaves, the future kept for the truth included
            "leaves_at": to_timestamps(_leaves(pop, config), config),
        }
    )


LEAVES_FROM_DAYS = 90  # ``leaves_at``: the first departure in the history's last 90 days or later


def _leaves(pop: Population, config: DemoConfig) -> np.ndarray:
    """Return each customer's first departure from ``LEAVES_FROM_DAYS`` before the end on.

    NaN: no such departure within the simulated time (a lead, gone before, or staying).
    """
    since = config.days - LEAVES_FROM_DAYS
    horizon = config.days + config.future_days
    with np.errstate(invalid="ignore"):
        first = np.where(pop.death >= since, pop.death, np.nan)
        later = np.where(np.isnan(first) & (pop.death2 >= since), pop.death2, first)
        return np.where(later < horizon, later, np.nan)


def generate(config: DemoConfig, step: Step | None = None) -> DemoData:
    """Draw the company: population, orders, events, surveys, spend (and contracts for SaaS)."""
    say = step or (lambda _: None)
    config = effective_config(config)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(8)]
    say("customers")
    pop = draw_population(rngs[0], config)
    life = lives(pop, config)
    customers = customer_frame(rngs[1], pop, config)
    say("orders")
    extra_events = []
    subscriptions = None
    if config.profile == "saas":
        orders, subscriptions, contract_events = draw_invoices(rngs[2], pop, life, config)
        extra_events.append(contract_events)
        planted: list[dict[str, object]] = []
    else:
        orders = draw_orders(rngs[2], pop, life, config)
        simulated = config.days + config.future_days
        # A, then B about N days later
        orders, planted = plant_sequences(config.seed, orders, pop.death, simulated)
    say("events")
    events = draw_events(rngs[4], pop, life, config, extra_events)
    future = next_active(orders, events, pop.size, config.days)
    order_table, line_table = order_frames(cut_orders(orders, config.days), config)
    event_table = event_frame(rngs[3], cut_events(events, config.days), config)
    say("surveys and spend")
    tables = {
        "users": users_frame(),
        "customers": customers,
        "orders": order_table,
        "order_lines": line_table,
        "events": event_table,
        "marketing_spend": spend_frame(rngs[5], pop, config),
        "survey_responses": draw_surveys(rngs[6], pop, life, config),
    }
    if subscriptions is not None:
        tables["subscriptions"] = subscriptions
    parameters = {
        "seed": config.seed,
        "customers": config.customers,
        "profile": config.profile,
        "end": config.end.isoformat(),
        "days": config.days,
        "future_days": config.future_days,
        "latent": dataclasses.asdict(config.latent),
        "channels": [dataclasses.asdict(c) for c in config.channels],
        "time_unit": "day",
        "sequences": planted,
    }
    truth = _truth(pop, config, customers["external_id"], future)
    return DemoData(tables, truth, parameters)
