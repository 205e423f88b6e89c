"""A synthetic shop store for the loyalty benchmark: N customers, M paid orders with lines.

The demo company takes hours at a million customers; the loyalty benchmark needs only what
earning, tiers and milestones read: customers (with birthdays), orders over two years (3% of
them refunded later) and their lines (one to three, a fifth of them coffee, so the Stars
programme's line rule has work). Written with the bulk writer the imports use, secondary
indexes built once at the end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

END = date(2026, 6, 30)
CATEGORIES = ("coffee", "tea", "snacks", "kitchen", "home", "beauty", "books", "gifts")
WEIGHTS = (0.2, 0.14, 0.16, 0.12, 0.12, 0.1, 0.09, 0.07)
DAYS = 730


def _money(cents: np.ndarray) -> pl.Series:
    return (pl.Series(cents, dtype=pl.Int64).cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2))


def frames(customers: int, orders: int, seed: int = 11) -> dict[str, pl.DataFrame]:
    """Return the customers, orders and order_lines frames, named after the tables' columns."""
    rng = np.random.default_rng(seed)
    first = datetime.combine(END, datetime.min.time(), UTC).timestamp() - DAYS * 86_400
    ids = np.arange(1, customers + 1, dtype=np.int64)
    born = rng.integers(-15_000, 5_000, customers)  # days since 1970: ages 20–75
    people = pl.DataFrame(
        {
            "id": ids,
            "external_id": pl.Series(ids).cast(pl.String).str.zfill(8).str.replace(r"^", "S"),
            "email": pl.Series(ids)
            .cast(pl.String)
            .str.replace(r"^", "s")
            .str.replace(r"$", "@bench.test"),
            "birthday": pl.Series(born, dtype=pl.Int32).cast(pl.Date),
            "acquisition_channel": rng.choice(["search", "social", "referral"], customers),
            "email_consent": pl.Series(rng.random(customers) < 0.6),
            "sms_consent": pl.Series([False]).extend_constant(False, customers - 1),
        }
    )
    # heavy-tailed orders per customer, scaled to the asked-for total
    weight = rng.pareto(1.8, customers) + 0.2
    who = rng.choice(ids, orders, p=weight / weight.sum())
    at = first + rng.random(orders) * DAYS * 86_400
    order = np.argsort(at, kind="stable")
    who, at = who[order], at[order]
    order_ids = np.arange(1, orders + 1, dtype=np.int64)
    n_lines = rng.choice([1, 2, 3], orders, p=[0.55, 0.3, 0.15])
    line_order = np.repeat(order_ids, n_lines)
    line_no = np.arange(line_order.size) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    unit_cents = np.round(rng.lognormal(3.2, 0.7, line_order.size) * 100).astype(np.int64)
    quantity = rng.choice([1, 1, 1, 2, 3], line_order.size)
    line_cents = unit_cents * quantity
    amount = np.bincount(line_order - 1, weights=line_cents, minlength=orders).astype(np.int64)
    status = np.where(rng.random(orders) < 0.03, "refunded", "paid")
    stamps = pl.Series(np.round(at * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    sales = pl.DataFrame(
        {
            "id": order_ids,
            "external_id": pl.Series(order_ids).cast(pl.String).str.replace(r"^", "O"),
            "customer_id": who,
            "ordered_at": stamps,
            "status": status,
            "amount": _money(amount),
            "cost": _money(amount * 6 // 10),
            "discount": _money(np.zeros(orders, dtype=np.int64)),
            "currency": pl.Series(["USD"]).extend_constant("USD", orders - 1),
            "channel": pl.Series(["web"]).extend_constant("web", orders - 1),
        }
    )
    category = rng.choice(len(CATEGORIES), line_order.size, p=WEIGHTS)
    names = pl.Series(CATEGORIES)
    lines = pl.DataFrame(
        {
            "order_id": line_order,
            "line_no": line_no.astype(np.int32),
            "product_id": pl.Series(category * 10 + rng.integers(0, 10, line_order.size))
            .cast(pl.String)
            .str.zfill(3)
            .str.replace(r"^", "P"),
            "category": names.gather(pl.Series(category, dtype=pl.UInt32)),
            "quantity": quantity.astype(np.int32),
            "unit_price": _money(unit_cents),
        }
    )
    return {"customers": people, "orders": sales, "order_lines": lines}


def build(path: Path, customers: int, orders: int) -> None:
    """Write the synthetic store at ``path`` (SQLite) unless it is there."""
    from tenure.domains import registry  # noqa: F401  (every model known: the foreign keys)
    from tenure.domains.customers.models import Customer
    from tenure.domains.orders.models import Order, OrderLine
    from tenure.storage.base import table_of
    from tenure.storage.bulk import secondary_indexes_deferred, write_frame
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    if path.exists():
        return
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        tables = {
            "customers": table_of(Customer),
            "orders": table_of(Order),
            "order_lines": table_of(OrderLine),
        }
        now = datetime.combine(END, datetime.min.time(), UTC)
        with engine.begin() as conn:
            for name, frame in frames(customers, orders).items():
                with secondary_indexes_deferred(conn, tables[name]):
                    stamp = None if name == "order_lines" else now
                    write_frame(conn, tables[name], frame, stamp=stamp)
    except BaseException:
        engine.dispose()
        path.unlink(missing_ok=True)  # half a store would be taken for a whole one next time
        raise
    engine.dispose()
