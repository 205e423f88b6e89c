"""Purchase sequences the demo company plants, so that a run can be checked for finding them.

For each planted sequence a share of the customers who bought A buys B about a lag later:
an order of B alone is added at first A + lag, drawn around the stated days, when the
customer is still alive then (before the end of their first life and of the simulation) and
buys again within a year of their first order anyway (so the repeat rate stays as it was). The
order costs what their first A order cost. The sequences and how many customers carry them go
to truth.json (``sequences``); ``tenure demo check`` compares them with what the run found.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from tenure.demo.purchases import PAID, Orders


@dataclass(frozen=True)
class Planted:
    """Of A's buyers, ``share`` buy B about ``lag_days`` (± ``spread_days``) after A."""

    level: str  # product or category
    a: str
    b: str
    b_product: str  # the product line B becomes
    b_category: str
    b_name: str
    share: float
    lag_days: float
    spread_days: float


PLANTED = (
    Planted("product", "COF-001", "KIT-004", "KIT-004", "kitchen", "Signature kitchen", 0.4, 41, 6),
    Planted("category", "beauty", "books", "BOO-002", "books", "Organic books", 0.3, 71, 10),
)
SEED_SALT = 17  # the planting draws from its own stream: the rest of the company is unchanged


def plant(
    seed: int,
    orders: Orders,
    death: np.ndarray,
    horizon: float,
    planted: tuple[Planted, ...] = PLANTED,
) -> tuple[Orders, list[dict[str, Any]]]:
    """Return the orders with the planted ones added, and what goes to the truth.

    ``death``: each customer's end of (first) life, in days; ``horizon``: the simulation's end.
    """
    rng = np.random.default_rng([seed, SEED_SALT])
    order_of = orders.lines["order"].to_numpy()
    line_t = orders.t[order_of]
    repeat = _repeat_buyers(orders)
    added: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    truth = []
    for index, p in enumerate(planted):
        column = "product_id" if p.level == "product" else "category"
        first = (
            pl.DataFrame(
                {
                    "order": order_of,
                    "customer": orders.customer[order_of],
                    "t": line_t,
                    "hit": orders.lines[column] == p.a,
                }
            )
            .filter(pl.col("hit"))
            .sort("t", "order")
            .group_by("customer", maintain_order=True)
            .first()
            .sort("customer")
        )
        customer = first["customer"].to_numpy()
        chosen = rng.random(customer.size) < p.share
        lag = np.maximum(rng.normal(p.lag_days, p.spread_days, customer.size), 1.0)
        when = first["t"].to_numpy() + lag
        ok = chosen & repeat[customer] & (when < death[customer]) & (when < horizon)
        added.append((customer[ok], when[ok], first["order"].to_numpy()[ok], index))
        truth.append({**asdict(p), "customers": int(ok.sum())})
    return _with_orders(orders, added, planted), truth


def _repeat_buyers(orders: Orders) -> np.ndarray:
    """Return, per customer index, whether they buy again within a year of their first order.

    Only they carry a planted sequence: the added order then makes no one a repeat buyer
    who was not, and the shop keeps its published repeat rate (docs/demo.md).
    """
    size = int(orders.customer.max()) + 1 if orders.customer.size else 0
    first = np.full(size, np.inf)
    np.minimum.at(first, orders.customer, orders.t)
    gap = orders.t - first[orders.customer]
    again = (gap >= 1.0) & (gap <= 365.0)
    repeat = np.zeros(size, dtype=bool)
    repeat[orders.customer[again]] = True
    return repeat


def _with_orders(
    orders: Orders,
    added: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]],
    planted: tuple[Planted, ...],
) -> Orders:
    """Add one single-line order per (customer, t, order to copy the amounts of, planting)."""
    customer = np.concatenate([orders.customer, *(a[0] for a in added)])
    t = np.concatenate([orders.t, *(a[1] for a in added)])
    source = np.concatenate([a[2] for a in added]).astype(np.int64)
    which = np.concatenate([np.full(a[0].size, a[3]) for a in added]).astype(np.int64)
    old = orders.t.size
    order = np.lexsort((t, customer))  # sorted by customer and time, as before
    position = np.empty_like(order)
    position[order] = np.arange(order.size)

    def pick(values: tuple[str, ...]) -> pl.Series:
        return pl.Series(values)[which]

    lines = pl.concat(
        [
            orders.lines,
            pl.DataFrame(
                {
                    "order": np.arange(old, old + source.size),
                    "line_no": np.ones(source.size, dtype=np.int64),
                    "quantity": np.ones(source.size, dtype=np.int64),
                    "unit_cents": orders.gross_cents[source],
                    "category": pick(tuple(p.b_category for p in planted)),
                    "product_id": pick(tuple(p.b_product for p in planted)),
                    "product_name": pick(tuple(p.b_name for p in planted)),
                }
            ),
        ],
        how="vertical_relaxed",
    )
    lines = lines.with_columns(
        pl.Series("order", position[lines["order"].to_numpy()]).cast(lines.schema["order"])
    ).sort("order", "line_no")

    def grown(values: np.ndarray, extra: np.ndarray) -> np.ndarray:
        return np.concatenate([values, extra.astype(values.dtype)])[order]

    return Orders(
        customer=customer[order],
        t=t[order],
        status=grown(orders.status, np.full(source.size, PAID)),
        gross_cents=grown(orders.gross_cents, orders.gross_cents[source]),
        discount_cents=grown(orders.discount_cents, orders.discount_cents[source]),
        cost_cents=grown(orders.cost_cents, orders.cost_cents[source]),
        sales_channel=grown(orders.sales_channel, orders.sales_channel[source]),
        lines=lines,
    )
