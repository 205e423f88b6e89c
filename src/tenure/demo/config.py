"""Parameters of the simulated company. Every figure here is a knob the truth file reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

Profile = Literal["ecommerce", "saas"]


@dataclass(frozen=True)
class Channel:
    """An acquisition channel: its share of leads, cost, conversion and customer quality."""

    key: str
    share: float  # of all leads
    cost_per_lead: float  # drives monthly spend, so CAC and ROI differ by channel
    conversion: float  # share of leads who ever buy
    rate: float  # purchase-rate multiplier of its customers
    life: float  # lifetime multiplier
    spend: float  # order-value multiplier


CHANNELS: tuple[Channel, ...] = (
    Channel("search_ads", 0.24, 26.0, 0.42, 1.00, 0.90, 1.00),
    Channel("social", 0.22, 14.0, 0.28, 0.80, 0.65, 0.85),
    Channel("content_seo", 0.17, 7.0, 0.38, 1.10, 1.20, 1.00),
    Channel("referral", 0.12, 11.0, 0.58, 1.30, 1.50, 1.15),
    Channel("events", 0.07, 55.0, 0.48, 1.20, 1.30, 1.40),
    Channel("partners", 0.10, 32.0, 0.52, 1.10, 1.20, 1.20),
    Channel("direct", 0.08, 0.0, 0.45, 1.00, 1.00, 1.00),
)


@dataclass(frozen=True)
class Latent:
    """Population parameters of the purchase, lifetime and spend processes (time in days).

    Purchase rate λ ~ Gamma(r, α) and dropout rate μ ~ Gamma(s, β), as in Pareto/NBD
    (Schmittlein, Morrison & Colombo 1987); order value ~ Gamma(p, ν), ν ~ Gamma(q, γ), as in
    Gamma-Gamma (Fader, Hardie & Lee 2005). Channel multipliers apply on top.
    """

    # calibrated on published online-retail figures (docs/demo.md): ~3 orders per active buyer
    # a year, most buyers never coming back, a long tail of loyal ones
    r: float = 0.2
    alpha: float = 20.0
    s: float = 0.35
    beta: float = 400.0
    p: float = 6.0
    q: float = 4.0
    gamma: float = 30.0
    won_back_share: float = 0.15  # of customers who leave, how many come back later
    refund_rate: float = 0.03
    cancel_rate: float = 0.015


# Subscriptions: lifetimes of their own, for a monthly logo churn of ~2–3% (annual plans less).
SAAS_DROPOUT = {"s": 0.9, "beta": 900.0}


@dataclass(frozen=True)
class DemoConfig:
    """What to generate: how many customers, which seed and profile, over which period."""

    customers: int = 50_000
    seed: int = 7
    profile: Profile = "ecommerce"
    end: date = field(default_factory=lambda: datetime.now(UTC).date())
    days: int = 730
    # simulated past the end for the truth only (what customers do next: the churn label of a
    # run on the last day); nothing after the end reaches the store
    future_days: int = 180
    latent: Latent = field(default_factory=Latent)
    channels: tuple[Channel, ...] = CHANNELS
