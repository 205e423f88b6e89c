"""What a run said of each customer, and what customers did after it: the inputs of a check.

Queries for comparing a scoring run with what is known to have happened (the demo's truth,
or later orders and activity in the store).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Connection, func, select, union

from tenure.analytics.features import NOT_ACTIVITY
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.scoring.models import ScoreHistory, StageHistory

RESULT_SCHEMA: dict[str, type[pl.DataType]] = {
    "customer_id": pl.Int64,
    "external_id": pl.String,
    "stage": pl.String,
    "rule": pl.String,
    "p_alive": pl.Float64,
    "churn_risk": pl.Float64,
    "clv": pl.Float64,
}


def run_results(conn: Connection, run_id: int) -> pl.DataFrame:
    """Return every customer's stage and scores in run ``run_id``, with their external id."""
    stage = StageHistory.__table__
    score = ScoreHistory.__table__
    customer = Customer.__table__
    query = (
        select(
            stage.c.customer_id,
            customer.c.external_id,
            stage.c.stage,
            stage.c.rule,
            score.c.p_alive,
            score.c.churn_risk,
            score.c.clv,
        )
        .select_from(stage)
        .join(customer, customer.c.id == stage.c.customer_id)
        .outerjoin(
            score,
            (score.c.run_id == stage.c.run_id) & (score.c.customer_id == stage.c.customer_id),
        )
        .where(stage.c.run_id == run_id)
    )
    rows = conn.execute(query).all()
    return pl.DataFrame(rows, schema=list(RESULT_SCHEMA), orient="row").cast(RESULT_SCHEMA)  # type: ignore[arg-type]


def active_between(conn: Connection, start: datetime, stop: datetime) -> pl.Series:
    """Return the ids of customers with a paid order or activity in [``start``, ``stop``).

    Activity is what the churn label counts: every event but tickets, complaints,
    cancellations and the opens and clicks of our own messages
    (``tenure.analytics.features.NOT_ACTIVITY``).
    """
    order = Order.__table__
    event = Event.__table__
    buyers = select(order.c.customer_id).where(
        order.c.ordered_at >= start,
        order.c.ordered_at < stop,
        order.c.status == OrderStatus.PAID.value,
    )
    active = select(event.c.customer_id).where(
        event.c.occurred_at >= start,
        event.c.occurred_at < stop,
        event.c.type.not_in(NOT_ACTIVITY),
    )
    ids = conn.execute(union(buyers, active)).scalars().all()
    return pl.Series("customer_id", ids, dtype=pl.Int64)


def last_purchases(conn: Connection, before: datetime) -> pl.DataFrame:
    """Return customer_id and the instant of their latest paid order before ``before``."""
    order = Order.__table__
    query = (
        select(order.c.customer_id, func.max(order.c.ordered_at))
        .where(order.c.ordered_at < before, order.c.status == OrderStatus.PAID.value)
        .group_by(order.c.customer_id)
    )
    rows = conn.execute(query).all()
    schema = {"customer_id": pl.Int64, "last_paid_at": pl.Datetime("us", "UTC")}
    return pl.DataFrame(rows, schema=list(schema), orient="row").cast(schema)  # type: ignore[arg-type]
