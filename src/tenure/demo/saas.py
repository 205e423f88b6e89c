"""The subscription profile: plans, monthly and annual contracts, renewals and cancellations.

Each alive interval of a customer is one contract; invoices fall at the start of every
billing period until the customer leaves (cancellation), and a won-back customer signs a new
contract. Leads who arrived in the last two weeks may be on a trial.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tenure.demo.activity import SUB_CANCELLED, SUB_RENEWED, SUB_STARTED, EventArrays
from tenure.demo.config import DemoConfig
from tenure.demo.money import money
from tenure.demo.population import Lives, Population
from tenure.demo.purchases import Orders
from tenure.demo.timeline import to_timestamps

PLANS = ("starter", "pro", "enterprise")
PLAN_CENTS = np.array([4_900, 19_900, 89_900])  # per month
MONTH, YEAR = 30.4375, 365.25
TRIAL_DAYS = 14


def _contracts(
    rng: np.random.Generator, pop: Population, life: Lives
) -> tuple[np.ndarray, np.ndarray]:
    plan = rng.choice(3, life.owner.size, p=[0.6, 0.3, 0.1])
    # the committed choose annual billing: the half of customers least likely to leave take
    # it three times as often (so annual plans churn less, as they do in subscription firms)
    mu = pop.mu[life.owner]
    annual = rng.random(life.owner.size) < np.where(mu < np.median(mu), 0.45, 0.15)
    return plan, annual


def draw_invoices(
    rng: np.random.Generator, pop: Population, life: Lives, config: DemoConfig
) -> tuple[Orders, pl.DataFrame, EventArrays]:
    """Return the invoices (as orders), the subscriptions table and the contract events."""
    plan, annual = _contracts(rng, pop, life)
    period = np.where(annual, YEAR, MONTH)
    count = np.floor((life.end - life.start) / period).astype(np.int64) + 1
    seg = np.repeat(np.arange(life.owner.size), count)
    k = np.arange(seg.size) - (np.cumsum(count) - count)[seg]
    t = life.start[seg] + k * period[seg]
    cents = PLAN_CENTS[plan[seg]] * np.where(annual[seg], 10, 1)
    # A few accounts' latest invoice of the history fails: they are past due at its end.
    ended = cancelled_in_history(life, config)
    past_due = ~ended & (life.start < config.days) & (rng.random(life.owner.size) < 0.05)
    latest = np.floor((np.minimum(life.end, config.days) - life.start) / period)
    status = np.where((k == latest[seg]) & past_due[seg], 2, 0).astype(np.int8)
    order = np.lexsort((t, life.owner[seg]))
    seg, t, k, cents, status = seg[order], t[order], k[order], cents[order], status[order]
    lines = pl.DataFrame(
        {
            "order": np.arange(seg.size),
            "line_no": np.ones(seg.size, np.int64),
            "quantity": np.ones(seg.size, np.int64),
            "unit_cents": cents,
            "category": pl.repeat("subscription", seg.size, eager=True),
            "product_id": pl.Series(PLANS)[plan[seg]],
            "product_name": pl.select(
                pl.format(
                    "{} plan ({})",
                    pl.Series(PLANS)[plan[seg]],
                    pl.Series(np.where(annual[seg], "annual", "monthly")),
                )
            ).to_series(),
        }
    )
    invoices = Orders(
        customer=life.owner[seg],
        t=t,
        status=status,
        gross_cents=cents,
        discount_cents=np.zeros(seg.size, np.int64),
        cost_cents=np.round(cents * 0.18).astype(np.int64),
        sales_channel=np.zeros(seg.size, np.int8),
        lines=lines,
    )
    events = _contract_events(life, seg, t, k)
    subs = _subscriptions(rng, pop, life, plan, annual, past_due, config)
    return invoices, subs, events


def cancelled_in_history(life: Lives, config: DemoConfig) -> np.ndarray:
    """Return which contracts were cancelled before the end of the history."""
    return life.dies & (life.end < config.days)


def _contract_events(life: Lives, seg: np.ndarray, t: np.ndarray, k: np.ndarray) -> EventArrays:
    renew = k > 0
    ended = life.dies
    who = np.concatenate([life.owner, life.owner[seg[renew]], life.owner[ended]])
    when = np.concatenate([life.start, t[renew], life.end[ended]])
    kind = np.concatenate(
        [
            np.full(life.owner.size, SUB_STARTED),
            np.full(renew.sum(), SUB_RENEWED),
            np.full(ended.sum(), SUB_CANCELLED),
        ]
    ).astype(np.int8)
    return who, when, kind


def _subscriptions(
    rng: np.random.Generator,
    pop: Population,
    life: Lives,
    plan: np.ndarray,
    annual: np.ndarray,
    past_due: np.ndarray,
    config: DemoConfig,
) -> pl.DataFrame:
    trial = (~pop.buyer) & (pop.acquired > config.days - TRIAL_DAYS) & (rng.random(pop.size) < 0.5)
    trial_ids = np.flatnonzero(trial)
    trial_plan = rng.choice(3, trial_ids.size, p=[0.6, 0.3, 0.1])
    # as the store knows them at the end of the history (later contracts are cut off below)
    ended = cancelled_in_history(life, config)
    status = np.where(ended, "cancelled", np.where(past_due, "past_due", "active"))
    mrr = PLAN_CENTS[plan] * np.where(annual, 10 / 12, 1)
    frame = pl.DataFrame(
        {
            "customer_id": np.concatenate([life.owner, trial_ids]) + 1,
            "plan": pl.Series(PLANS)[np.concatenate([plan, trial_plan])],
            "billing_period": np.concatenate(
                [np.where(annual, "annual", "monthly"), np.full(trial_ids.size, "monthly")]
            ),
            "status": np.concatenate([status, np.full(trial_ids.size, "trial")]),
            "mrr": money(np.concatenate([np.round(mrr), np.zeros(trial_ids.size)])),
            "started_at": to_timestamps(
                np.concatenate([life.start, pop.acquired[trial_ids]]), config
            ),
            "cancelled_at": to_timestamps(
                np.concatenate(
                    [np.where(ended, life.end, np.nan), np.full(trial_ids.size, np.nan)]
                ),
                config,
            ),
        }
    )
    started = np.concatenate([life.start, pop.acquired[trial_ids]]) < config.days
    frame = frame.filter(pl.Series(started))
    ids = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    return frame.select(
        ids.alias("id"),
        pl.format("S{}", ids.cast(pl.String).str.zfill(7)).alias("external_id"),
        pl.all(),
    )
