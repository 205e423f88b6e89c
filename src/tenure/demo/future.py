"""The simulated time after the history: cut off from the store, kept as the truth's future.

The company is simulated ``config.future_days`` past its end, so that customers about to leave
already fade before the end (as real ones do) and so that the truth knows what each customer
did next: the first paid order or activity after the end (``next_active_at``), the outcome a
run's churn risk on the last day predicts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from tenure.demo.activity import NOT_ACTIVITY_KINDS, EventArrays
from tenure.demo.purchases import PAID, Orders


def cut_orders(orders: Orders, days: float) -> Orders:
    """Return the orders placed before ``days`` (and their lines, renumbered)."""
    keep = orders.t < days
    renumber = np.cumsum(keep) - 1
    line_order = orders.lines["order"].to_numpy()
    lines = orders.lines.filter(pl.Series(keep[line_order])).with_columns(
        pl.Series("order", renumber[line_order[keep[line_order]]])
    )
    arrays = {
        f.name: getattr(orders, f.name)[keep]
        for f in dataclasses.fields(orders)
        if f.name != "lines"
    }
    return Orders(**arrays, lines=lines)


def cut_events(events: EventArrays, days: float) -> EventArrays:
    """Return the events before ``days``."""
    who, t, kind = events
    keep = t < days
    return who[keep], t[keep], kind[keep]


def next_active(orders: Orders, events: EventArrays, customers: int, days: float) -> np.ndarray:
    """Return each customer's first paid order or activity at or after ``days`` (NaN if none).

    Activity is what the churn label counts: every event but tickets, complaints,
    cancellations and the opens and clicks of our own messages (NOT_ACTIVITY_KINDS).
    """
    who, t, kind = events
    paid = (orders.t >= days) & (orders.status == PAID)
    active = (t >= days) & ~np.isin(kind, NOT_ACTIVITY_KINDS)
    first = np.full(customers, np.inf)
    np.minimum.at(first, orders.customer[paid], orders.t[paid])
    np.minimum.at(first, who[active], t[active])
    return np.where(np.isinf(first), np.nan, first)
