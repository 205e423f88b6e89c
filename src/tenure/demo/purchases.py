"""Orders and order lines of the e-commerce profile, drawn from each customer's latent process."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from tenure.demo.config import DemoConfig, Latent
from tenure.demo.money import money
from tenure.demo.population import Lives, Population
from tenure.demo.timeline import thin, to_timestamps

CATEGORIES = ("coffee", "tea", "snacks", "kitchen", "home", "beauty", "books", "gifts")
CATEGORY_WEIGHTS = np.array([0.22, 0.14, 0.16, 0.12, 0.11, 0.1, 0.08, 0.07])
PRODUCT_WORDS = (
    "Classic",
    "Organic",
    "Premium",
    "Everyday",
    "Limited",
    "Family",
    "Travel",
    "Signature",
    "Seasonal",
    "Essential",
)
SALES_CHANNELS = ("web", "app", "store")
PAID, REFUNDED, CANCELLED = 0, 1, 2
DISCOUNTED_SHARE = 0.2  # of orders carry a discount …
DISCOUNT_RANGE = (0.05, 0.2)  # … of this share of the gross amount, uniformly


@dataclass
class Orders:
    """Orders as arrays (one entry per order), sorted by customer and time."""

    customer: np.ndarray
    t: np.ndarray
    status: np.ndarray  # PAID, REFUNDED or CANCELLED
    gross_cents: np.ndarray
    discount_cents: np.ndarray
    cost_cents: np.ndarray
    sales_channel: np.ndarray
    lines: pl.DataFrame  # order index, line_no, product_id, product_name, category, qty, unit


def purchase_times(
    rng: np.random.Generator, pop: Population, life: Lives, config: DemoConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Return (customer, day) of every purchase: one at each life's start, then Poisson."""
    lam = pop.lam[life.owner] * np.where(life.second, 0.8, 1.0)
    who, when = thin(rng, life.owner, life.start, life.end, lam, config)
    customer = np.concatenate([life.owner, who])
    t = np.concatenate([life.start, when])
    order = np.lexsort((t, customer))
    return customer[order], t[order]


def expected_paid_share(latent: Latent) -> float:
    """Return the expected share of an order's gross value that ends up paid.

    Discounts take DISCOUNTED_SHARE × the mean of DISCOUNT_RANGE; refunds and cancellations
    take their rates (refunds run higher in a customer's last month; ignored here).
    """
    discount = DISCOUNTED_SHARE * sum(DISCOUNT_RANGE) / 2
    return (1 - discount) * (1 - latent.refund_rate - latent.cancel_rate)


def _statuses(
    rng: np.random.Generator,
    customer: np.ndarray,
    t: np.ndarray,
    pop: Population,
    config: DemoConfig,
) -> np.ndarray:
    # Unhappy customers shortly before they leave ask for refunds three times as often.
    near_end = (pop.death[customer] - t) < 30
    refund_p = config.latent.refund_rate * np.where(near_end, 3.0, 1.0)
    u = rng.random(t.size)
    cancelled = u < refund_p + config.latent.cancel_rate
    return np.where(u < refund_p, REFUNDED, np.where(cancelled, CANCELLED, PAID))


def _lines(
    rng: np.random.Generator, customer: np.ndarray, value: np.ndarray, favourite: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray]:
    """Split each order's value over 1–5 lines; return the lines and each order's gross cents."""
    n_orders = value.size
    per_order = 1 + np.minimum(rng.poisson(0.6, n_orders), 4)
    order_idx = np.repeat(np.arange(n_orders), per_order)
    first_of = np.cumsum(per_order) - per_order
    line_no = np.arange(order_idx.size) - first_of[order_idx] + 1
    weight = rng.gamma(2.0, 1.0, order_idx.size)
    weight /= np.bincount(order_idx, weight)[order_idx]
    qty = 1 + rng.poisson(0.3, order_idx.size)
    unit = np.maximum(np.round(value[order_idx] * weight / qty * 100), 50).astype(np.int64)
    gross = np.bincount(order_idx, unit * qty, minlength=n_orders).astype(np.int64)
    fav = favourite[customer[order_idx]]
    other = rng.choice(len(CATEGORIES), order_idx.size, p=CATEGORY_WEIGHTS)
    category = np.where(rng.random(order_idx.size) < 0.6, fav, other).astype(np.int8)
    product = rng.zipf(1.6, order_idx.size) % len(PRODUCT_WORDS)
    names = pl.Series(CATEGORIES)[category]
    words = pl.Series(PRODUCT_WORDS)[product]
    lines = pl.DataFrame(
        {
            "order": order_idx,
            "line_no": line_no,
            "quantity": qty,
            "unit_cents": unit,
            "category": names,
            "product_id": pl.select(
                pl.format(
                    "{}-{}",
                    names.str.slice(0, 3).str.to_uppercase(),
                    pl.Series(product).cast(pl.String).str.zfill(3),
                )
            ).to_series(),
            "product_name": pl.select(pl.format("{} {}", words, names)).to_series(),
        }
    )
    return lines, gross


def draw_orders(
    rng: np.random.Generator, pop: Population, life: Lives, config: DemoConfig
) -> Orders:
    """Draw every order of the e-commerce profile."""
    customer, t = purchase_times(rng, pop, life, config)
    lat = config.latent
    value = rng.gamma(lat.p, 1.0 / pop.nu[customer])  # Gamma-Gamma: E = p / ν per customer
    favourite = rng.choice(len(CATEGORIES), pop.size, p=CATEGORY_WEIGHTS)
    lines, gross = _lines(rng, customer, value, favourite)
    discounted = rng.random(t.size) < DISCOUNTED_SHARE
    discount = np.where(discounted, np.round(gross * rng.uniform(*DISCOUNT_RANGE, t.size)), 0)
    cost_ratio = rng.uniform(0.55, 0.7, t.size)
    net = gross - discount
    return Orders(
        customer=customer,
        t=t,
        status=_statuses(rng, customer, t, pop, config),
        gross_cents=gross,
        discount_cents=discount.astype(np.int64),
        cost_cents=np.round(net * cost_ratio).astype(np.int64),
        sales_channel=rng.choice(3, t.size, p=[0.7, 0.25, 0.05]).astype(np.int8),
        lines=lines,
    )


def order_frames(
    orders: Orders, config: DemoConfig, currency: str = "USD"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn the arrays into store-shaped frames (ids start at 1)."""
    n = orders.t.size
    ids = np.arange(1, n + 1)
    status = pl.Series(["paid", "refunded", "cancelled"])[orders.status]
    frame = pl.DataFrame(
        {
            "id": ids,
            "external_id": pl.Series(ids).cast(pl.String).str.zfill(8).str.replace(r"^", "O"),
            "customer_id": orders.customer + 1,
            "ordered_at": to_timestamps(orders.t, config),
            "status": status,
            "amount": money(orders.gross_cents - orders.discount_cents),
            "cost": money(orders.cost_cents),
            "discount": money(orders.discount_cents),
            "currency": pl.repeat(currency, n, eager=True),
            "channel": pl.Series(SALES_CHANNELS)[orders.sales_channel],
        }
    )
    ln = orders.lines
    lines = pl.DataFrame(
        {
            "id": np.arange(1, ln.height + 1),
            "order_id": ln["order"].to_numpy() + 1,
            "line_no": ln["line_no"],
            "product_id": ln["product_id"],
            "product_name": ln["product_name"],
            "category": ln["category"],
            "quantity": ln["quantity"],
            "unit_price": money(ln["unit_cents"].to_numpy()),
        }
    )
    return frame, lines
