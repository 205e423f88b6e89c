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
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.scoring.models import ScoreHistory

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
    stage, score = StageHistory, ScoreHistory
    query = (
        select(
            stage.customer_id,
            Customer.external_id,
            stage.stage,
            stage.rule,
            score.p_alive,
            score.churn_risk,
            score.clv,
        )
        .select_from(stage)
        .join(Customer, Customer.id == stage.customer_id)
        .outerjoin(
            score,
            (score.run_id == stage.run_id) & (score.customer_id == stage.customer_id),
        )
        .where(stage.run_id == run_id)
    )
    rows = conn.execute(query).all()
    return pl.DataFrame(rows, schema=list(RESULT_SCHEMA), orient="row").cast(RESULT_SCHEMA)  # type: ignore[arg-type]


def active_between(conn: Connection, start: datetime, stop: datetime) -> pl.Series:
    """Return the ids of customers with a paid order or activity in [``start``, ``stop``).

    Activity is what the churn label counts: every event but tickets, complaints,
    cancellations and the opens and clicks of our own messages
    (``tenure.analytics.features.NOT_ACTIVITY``).
    """
    buyers = select(Order.customer_id).where(
        Order.ordered_at >= start,
        Order.ordered_at < stop,
        Order.status == OrderStatus.PAID.value,
    )
    active = select(Event.customer_id).where(
        Event.occurred_at >= start,
        Event.occurred_at < stop,
        Event.type.not_in(NOT_ACTIVITY),
    )
    ids = conn.execute(union(buyers, active)).scalars().all()
    return pl.Series("customer_id", ids, dtype=pl.Int64)


def last_purchases(conn: Connection, before: datetime) -> pl.DataFrame:
    """Return customer_id and the instant of their latest paid order before ``before``."""
    query = (
        select(Order.customer_id, func.max(Order.ordered_at))
        .where(Order.ordered_at < before, Order.status == OrderStatus.PAID.value)
        .group_by(Order.customer_id)
    )
    rows = conn.execute(query).all()
    schema = {"customer_id": pl.Int64, "last_paid_at": pl.Datetime("us", "UTC")}
    return pl.DataFrame(rows, schema=list(schema), orient="row").cast(schema)  # type: ignore[arg-type]
