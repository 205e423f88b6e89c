"""Generate the whole demo company in memory, deterministically from (seed, size, profile, end)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tenure.demo.activity import draw_events, draw_surveys, event_frame
from tenure.demo.config import DemoConfig
from tenure.demo.people import customer_frame, users_frame
from tenure.demo.population import Population, draw_population, lives
from tenure.demo.purchases import draw_orders, order_frames
from tenure.demo.saas import draw_invoices
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
    """Subscriptions last longer than shopping habits: SaaS lifetimes are 2.5× as long."""
    if config.profile == "saas":
        latent = dataclasses.replace(config.latent, beta=config.latent.beta * 2.5)
        return dataclasses.replace(config, latent=latent)
    return config


def _truth(pop: Population, config: DemoConfig, external: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": external,
            "channel": pl.Series([c.key for c in config.channels])[pop.channel],
            "buyer": pop.buyer,
            "first_purchase_at": to_timestamps(pop.first, config),
            "purchase_rate_per_day": pop.lam,
            "dropout_rate_per_day": pop.mu,
            "left_at": to_timestamps(np.where(pop.death < config.days, pop.death, np.nan), config),
            "won_back_at": to_timestamps(pop.comeback, config),
            "left_again_at": to_timestamps(
                np.where(pop.death2 < config.days, pop.death2, np.nan), config
            ),
            "spend_nu": pop.nu,
            "mean_order_value": config.latent.p / pop.nu,
            "activity_per_day": pop.activity,
        }
    )


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
    else:
        orders = draw_orders(rngs[2], pop, life, config)
    order_table, line_table = order_frames(orders, config)
    say("events")
    events = event_frame(rngs[3], draw_events(rngs[4], pop, life, config, extra_events), config)
    say("surveys and spend")
    tables = {
        "users": users_frame(),
        "customers": customers,
        "orders": order_table,
        "order_lines": line_table,
        "events": events,
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
        "latent": dataclasses.asdict(config.latent),
        "channels": [dataclasses.asdict(c) for c in config.channels],
        "time_unit": "day",
    }
    return DemoData(tables, _truth(pop, config, customers["external_id"]), parameters)
