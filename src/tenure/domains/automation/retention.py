"""Are the enrolled customers still active 30 and 90 days on? Treated against holdout.

A customer is *active at day N* after enrolling when they placed a paid order, or did
something of their own (an imported or API event that counts as activity: not a ticket, a
complaint, a cancellation, nor an open or click of our own mail), in the 30 days up to day N:
days 0–30 for the 30-day figure, days 60–90 for the 90-day one. Intent to treat, and only
enrollments whose N days have passed, so nobody still inside the span counts as lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, select

from tenure.analytics import uplift
from tenure.analytics.features import NOT_ACTIVITY
from tenure.domains.automation.models import Enrollment
from tenure.domains.events.models import Event, EventSource
from tenure.domains.orders.models import Order, OrderStatus

SPAN_DAYS = 30  # the days of activity before day N that make a customer active at day N
DAYS = (30, 90)
# what the customer did themselves, not what Tenure or a person did to them
OWN_SOURCES = (EventSource.IMPORT.value, EventSource.API.value)


@dataclass(frozen=True)
class StillActive:
    """The share of each group active at day ``days``, over the enrollments that reached it."""

    days: int
    treated: int  # enrollments whose ``days`` have passed
    holdout: int
    difference: uplift.Difference | None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data."""
        d = self.difference
        return {
            "days": self.days,
            "measured": {"treated": self.treated, "holdout": self.holdout},
            "share": None if d is None else d.as_dict(),
        }


def still_active(conn: Connection, playbook_id: int, now: datetime, days: int) -> StillActive:
    """Return the still-active share ``days`` after enrolling, treated against holdout."""
    frame = active_at(conn, playbook_id, now, days)
    held = frame.filter(pl.col("holdout"))
    treated = frame.filter(~pl.col("holdout"))
    difference = uplift.rate_difference(
        int(treated["active"].sum()), treated.height, int(held["active"].sum()), held.height
    )
    return StillActive(days, treated.height, held.height, difference)


def active_at(conn: Connection, playbook_id: int, now: datetime, days: int) -> pl.DataFrame:
    """One row per enrollment whose ``days`` have passed: id, holdout, active at day ``days``."""
    closed = and_(
        Enrollment.playbook_id == playbook_id,
        Enrollment.enrolled_at <= now - timedelta(days=days),
        Enrollment.global_control.is_(False),
    )
    rows = conn.execute(
        select(Enrollment.id, Enrollment.customer_id, Enrollment.holdout, Enrollment.enrolled_at)
        .where(closed)
        .order_by(Enrollment.id)
    ).all()
    schema: dict[str, Any] = {
        "id": pl.Int64,
        "customer_id": pl.Int64,
        "holdout": pl.Boolean,
        "enrolled_at": pl.Datetime("us", "UTC"),
    }
    enrollments = pl.DataFrame(
        [(r[0], r[1], bool(r[2]), r[3]) for r in rows], schema=schema, orient="row"
    )
    if enrollments.height == 0:
        return enrollments.with_columns(active=pl.lit(False))
    first, last = enrollments["enrolled_at"].min(), enrollments["enrolled_at"].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        raise TypeError("enrolled_at is not a datetime")  # pragma: no cover (height > 0)
    start, stop = timedelta(days=days - SPAN_DAYS), timedelta(days=days)
    customers = select(Enrollment.customer_id).where(closed).scalar_subquery()
    orders = select(Order.customer_id, Order.ordered_at.label("at")).where(
        Order.status == OrderStatus.PAID.value,
        Order.customer_id.in_(customers),
        Order.ordered_at >= first + start,
        Order.ordered_at < last + stop,
    )
    events = select(Event.customer_id, Event.occurred_at.label("at")).where(
        Event.source.in_(OWN_SOURCES),
        Event.type.not_in(NOT_ACTIVITY),
        Event.customer_id.in_(customers),
        Event.occurred_at >= first + start,
        Event.occurred_at < last + stop,
    )
    moments = [tuple(r) for r in conn.execute(orders).all()]
    moments += [tuple(r) for r in conn.execute(events).all()]
    seen = pl.DataFrame(
        moments,
        schema={"customer_id": pl.Int64, "at": pl.Datetime("us", "UTC")},
        orient="row",
    )
    inside = (pl.col("at") >= pl.col("enrolled_at") + start) & (
        pl.col("at") < pl.col("enrolled_at") + stop
    )
    hits = (
        enrollments.join(seen, on="customer_id", how="inner")
        .filter(inside)
        .select("id")
        .unique()
        .with_columns(active=pl.lit(True))
    )
    return (
        enrollments.join(hits, on="id", how="left")
        .with_columns(pl.col("active").fill_null(False))
        .select("id", "customer_id", "holdout", "active")
        .sort("id")
    )
