"""Who the customers are: when and through which channel they arrive, and their latent traits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tenure.demo.config import DemoConfig


@dataclass
class Population:
    """Per-customer truth, one array entry per customer (times in days since the start)."""

    channel: np.ndarray  # index into config.channels
    acquired: np.ndarray  # became a lead
    buyer: np.ndarray  # ever buys within the history
    first: np.ndarray  # first purchase (nan for leads who never buy)
    lam: np.ndarray  # purchases per day while alive
    mu: np.ndarray  # dropout rate per day
    death: np.ndarray  # end of the first life (may lie beyond the history)
    nu: np.ndarray  # Gamma-Gamma scale: mean order value = p / nu
    activity: np.ndarray  # app / site activity events per day while alive
    comeback: np.ndarray  # start of a second life (nan if none)
    death2: np.ndarray  # end of the second life (nan if none)

    @property
    def size(self) -> int:
        """Return the number of customers."""
        return int(self.channel.size)


@dataclass
class Lives:
    """Intervals in which customers are alive: one per life (a won-back customer has two)."""

    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray  # clipped to the end of the simulated time (history and future)
    dies: np.ndarray  # the life ends inside the simulated time (the customer leaves)
    second: np.ndarray  # the life is a comeback


def draw_population(rng: np.random.Generator, config: DemoConfig) -> Population:
    """Draw every customer's arrival, channel and latent traits."""
    n, horizon, lat = config.customers, float(config.days), config.latent
    shares = np.array([c.share for c in config.channels])
    channel = rng.choice(len(config.channels), size=n, p=shares / shares.sum()).astype(np.int8)
    # A growing business: lead arrivals have density ∝ 0.3 + t/H (a uniform part mixed
    # with a linearly rising part, drawn as sqrt of a uniform).
    u = rng.random(n)
    rising = horizon * np.sqrt(rng.random(n))
    acquired = np.where(u < 0.375, horizon * rng.random(n), rising)
    acquired = np.minimum(acquired, horizon - 1e-6)
    conv = np.array([c.conversion for c in config.channels])[channel]
    delay = rng.exponential(12.0, n)
    first = acquired + delay
    buyer = (rng.random(n) < conv) & (first < horizon)
    first = np.where(buyer, first, np.nan)

    rate_mult = np.array([c.rate for c in config.channels])[channel]
    life_mult = np.array([c.life for c in config.channels])[channel]
    spend_mult = np.array([c.spend for c in config.channels])[channel]
    lam = rng.gamma(lat.r, 1.0 / lat.alpha, n) * rate_mult
    mu = rng.gamma(lat.s, 1.0 / lat.beta, n) / life_mult
    death = first + rng.exponential(1.0 / mu)
    nu = rng.gamma(lat.q, 1.0 / lat.gamma, n) / spend_mult
    activity = rng.gamma(2.0, 0.085, n) * (0.5 + np.sqrt(lam * lat.alpha / lat.r))

    simulated = horizon + config.future_days
    left = buyer & (death < simulated)
    back = left & (rng.random(n) < lat.won_back_share)
    comeback = np.where(back, death + 45.0 + rng.exponential(110.0, n), np.nan)
    back &= comeback < simulated
    comeback = np.where(back, comeback, np.nan)
    death2 = comeback + rng.exponential(1.0 / mu)
    return Population(
        channel, acquired, buyer, first, lam, mu, death, nu, activity, comeback, death2
    )


def simulated_days(config: DemoConfig) -> float:
    """Return how far the simulation runs: the history and the future kept for the truth."""
    return float(config.days + config.future_days)


def lives(pop: Population, config: DemoConfig) -> Lives:
    """Return the alive intervals of every buyer, clipped to the simulated time."""
    horizon = simulated_days(config)
    ids = np.arange(pop.size)
    one = pop.buyer
    two = ~np.isnan(pop.comeback)
    owner = np.concatenate([ids[one], ids[two]])
    start = np.concatenate([pop.first[one], pop.comeback[two]])
    raw_end = np.concatenate([pop.death[one], pop.death2[two]])
    second = np.concatenate([np.zeros(one.sum(), bool), np.ones(two.sum(), bool)])
    return Lives(owner, start, np.minimum(raw_end, horizon), raw_end < horizon, second)
