"""Events and NPS answers that carry signal: activity fades and complaints rise before leaving."""

from __future__ import annotations

import numpy as np
import polars as pl

from tenure.analytics.features import NOT_ACTIVITY
from tenure.demo.config import DemoConfig
from tenure.demo.population import Lives, Population, simulated_days
from tenure.demo.timeline import thin, to_timestamps

FADE_DAYS = 60.0  # how long before leaving a customer's behaviour starts to change

TYPES = (
    "login",
    "page_view",
    "feature_use",
    "email_open",
    "email_click",
    "support_ticket",
    "complaint",
    "subscription_started",
    "subscription_renewed",
    "subscription_cancelled",
)
LOGIN, PAGE_VIEW, FEATURE_USE, EMAIL_OPEN, EMAIL_CLICK, TICKET, COMPLAINT = range(7)
SUB_STARTED, SUB_RENEWED, SUB_CANCELLED = range(7, 10)
# not a sign of activity (the churn label's definition, tenure.analytics.features.NOT_ACTIVITY)
NOT_ACTIVITY_KINDS = tuple(TYPES.index(kind) for kind in NOT_ACTIVITY)

PAGES = ("/", "/pricing", "/products", "/blog", "/cart", "/checkout", "/account")
FEATURES = {
    "ecommerce": ("wishlist", "reviews", "reorder", "gift_cards", "recommendations"),
    "saas": ("reports", "dashboards", "api", "export", "integrations", "alerts"),
}
TICKET_TOPICS = ("shipping", "billing", "product", "account")
COMPLAINT_TOPICS = ("late_delivery", "damaged", "quality", "billing", "support")


def _fade(t: np.ndarray, death: np.ndarray, dies: np.ndarray) -> np.ndarray:
    """1 while all is well; falls to 0.15 over the last FADE_DAYS before the customer leaves."""
    left = np.clip((death - t) / FADE_DAYS, 0.0, 1.0)
    return np.where(dies, 0.15 + 0.85 * left, 1.0)


def _alive_events(
    rng: np.random.Generator, pop: Population, life: Lives, config: DemoConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logins, page views, feature use and email opens while alive, fading before the end."""
    rate = pop.activity[life.owner] + 0.045
    seg = np.arange(life.owner.size)
    idx, t = thin(rng, seg, life.start, life.end, rate, config, seasonal=False)
    keep = rng.random(t.size) < _fade(t, life.end[idx], life.dies[idx])
    idx, t = idx[keep], t[keep]
    share = pop.activity[life.owner[idx]] / rate[idx]  # the rest are newsletter opens
    u = rng.random(t.size) * share
    kind = np.where(
        rng.random(t.size) >= share,
        EMAIL_OPEN,
        np.where(u < 0.35 * share, LOGIN, np.where(u < 0.75 * share, PAGE_VIEW, FEATURE_USE)),
    )
    return life.owner[idx], t, kind.astype(np.int8)


def _trouble(
    rng: np.random.Generator, life: Lives, config: DemoConfig, base: float, boost: float, kind: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tickets or complaints: a base rate, ``boost`` times higher before leaving."""
    seg = np.arange(life.owner.size)
    idx, t = thin(
        rng, seg, life.start, life.end, np.full(seg.size, base * boost), config, seasonal=False
    )
    near = life.dies[idx] & ((life.end[idx] - t) < FADE_DAYS)
    keep = near | (rng.random(t.size) < 1.0 / boost)
    return life.owner[idx[keep]], t[keep], np.full(keep.sum(), kind, np.int8)


def _lead_events(
    rng: np.random.Generator, pop: Population, config: DemoConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Page views while someone is a lead, and rare newsletter opens after anyone leaves."""
    ids = np.arange(pop.size)
    horizon = simulated_days(config)
    until = np.where(pop.buyer, pop.first, np.minimum(pop.acquired + 30, horizon))
    who, t = thin(rng, ids, pop.acquired, until, np.full(pop.size, 0.15), config, seasonal=False)
    opens_from = np.where(pop.buyer, np.nan_to_num(pop.death, nan=horizon), pop.acquired)
    who2, t2 = thin(
        rng,
        ids,
        opens_from,
        np.full(pop.size, horizon),
        np.full(pop.size, 0.006),
        config,
        seasonal=False,
    )
    kinds = np.concatenate(
        [np.full(who.size, PAGE_VIEW, np.int8), np.full(who2.size, EMAIL_OPEN, np.int8)]
    )
    return np.concatenate([who, who2]), np.concatenate([t, t2]), kinds


EventArrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def draw_events(
    rng: np.random.Generator,
    pop: Population,
    life: Lives,
    config: DemoConfig,
    extra: list[EventArrays] | None = None,
) -> EventArrays:
    """Return (customer, day, type) of every event over the simulated time, in time order."""
    parts = [
        *(extra or []),
        _alive_events(rng, pop, life, config),
        _trouble(rng, life, config, base=0.003, boost=4.0, kind=TICKET),
        _trouble(rng, life, config, base=0.0006, boost=12.0, kind=COMPLAINT),
        _lead_events(rng, pop, config),
    ]
    who = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([p[2] for p in parts])
    clicked = (kind == EMAIL_OPEN) & (rng.random(kind.size) < 0.2)
    who = np.concatenate([who, who[clicked]])
    t = np.concatenate([t, t[clicked] + rng.exponential(0.01, clicked.sum())])
    kind = np.concatenate([kind, np.full(clicked.sum(), EMAIL_CLICK, np.int8)])
    t = np.minimum(t, simulated_days(config) - 1e-6)
    order = np.argsort(t, kind="stable")
    return who[order], t[order], kind[order]


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int, key: str) -> pl.Series:
    encoded = pl.Series([f'{{"{key}":"{o}"}}' for o in options])
    return encoded[rng.integers(0, len(options), n)]


def event_frame(
    rng: np.random.Generator, events: tuple[np.ndarray, np.ndarray, np.ndarray], config: DemoConfig
) -> pl.DataFrame:
    """Turn the event arrays into a store-shaped frame with JSON properties."""
    who, t, kind = events
    n = t.size
    ids = np.arange(1, n + 1)
    when = to_timestamps(t, config)
    props = pl.Series([None] * n, dtype=pl.String)
    features = FEATURES[config.profile]
    fill = {
        PAGE_VIEW: _pick(rng, PAGES, n, "path"),
        FEATURE_USE: _pick(rng, features, n, "feature"),
        TICKET: _pick(rng, TICKET_TOPICS, n, "topic"),
        COMPLAINT: _pick(rng, COMPLAINT_TOPICS, n, "topic"),
    }
    kinds = pl.Series(kind)
    frame = pl.DataFrame({"kind": kinds, "props": props, "when": when})
    expr = pl.col("props")
    for code, values in fill.items():
        expr = pl.when(pl.col("kind") == code).then(values).otherwise(expr)
    campaign = pl.format('{{"campaign":"newsletter-{}"}}', pl.col("when").dt.strftime("%G-w%V"))
    expr = pl.when(pl.col("kind").is_in([EMAIL_OPEN, EMAIL_CLICK])).then(campaign).otherwise(expr)
    props = frame.select(expr).to_series()
    return pl.DataFrame(
        {
            "id": ids,
            "external_id": pl.Series(ids).cast(pl.String).str.zfill(9).str.replace(r"^", "E"),
            "customer_id": who + 1,
            "occurred_at": when,
            "type": pl.Series(TYPES)[kind],
            "properties": props,
        }
    )


def draw_surveys(
    rng: np.random.Generator, pop: Population, life: Lives, config: DemoConfig
) -> pl.DataFrame:
    """NPS answers: surveys every 180 days of a life; happier when loyal, unhappy before leaving."""
    waves = np.floor(np.clip(life.end - life.start - 30, 0, None) / 180).astype(np.int64) + 1
    waves = np.where(life.end - life.start > 30, waves, 0)
    seg = np.repeat(np.arange(life.owner.size), waves)
    k = np.arange(seg.size) - (np.cumsum(waves) - waves)[seg]
    t = life.start[seg] + 30 + 180 * k + rng.uniform(0, 10, seg.size)
    answered = (rng.random(seg.size) < 0.3) & (t < life.end[seg]) & (t < config.days)
    seg, t = seg[answered], t[answered]
    who = life.owner[seg]
    loyalty = -np.log(pop.mu[who])
    z_life = (loyalty - loyalty.mean()) / (loyalty.std() + 1e-9)
    near = life.dies[seg] & ((life.end[seg] - t) < 90)
    score = np.round(7.6 + 1.1 * z_life - 3.5 * near + rng.normal(0, 1.6, t.size))
    score = np.clip(score, 0, 10).astype(np.int64)
    order = np.argsort(t, kind="stable")
    who, t, score = who[order], t[order], score[order]
    comments = pl.Series(
        [
            None,
            "Great service",
            "Delivery was slow",
            "Love the products",
            "Too expensive",
            "Support was helpful",
            "Not what I expected",
        ]
    )
    # A quarter leave a comment: praise from promoters and passives, complaints from detractors.
    says = rng.random(t.size) < 0.25
    pick = np.where(score <= 6, rng.choice([2, 4, 6], t.size), rng.choice([1, 3, 5], t.size))
    pick = np.where(says, pick, 0)
    return pl.DataFrame(
        {
            "id": np.arange(1, t.size + 1),
            "customer_id": who + 1,
            "survey": pl.repeat("nps", t.size, eager=True),
            "score": score,
            "comment": comments[pick],
            "answered_at": to_timestamps(t, config),
        }
    )
