"""Every query of the loyalty KPIs: paid orders, join days, predicted CLV, tier history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from tenure.domains.loyalty.models import LoyaltyAccount, LoyaltyTierMembership
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.scoring.models import ScoringRun
from tenure.domains.scoring.views import customer_scores


def _days(values: list[datetime], zone: str) -> pl.Series:
    return pl.Series(values, dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(zone).dt.date()


def paid_orders(conn: Connection, until: datetime, zone: str) -> pl.DataFrame:
    """Return every paid order up to ``until``: customer, day (in ``zone``), amount."""
    rows = conn.execute(
        select(Order.customer_id, Order.ordered_at, Order.amount).where(
            Order.status == OrderStatus.PAID.value, Order.ordered_at <= until
        )
    ).all()
    return pl.DataFrame(
        {
            "customer_id": pl.Series([int(r[0]) for r in rows], dtype=pl.Int64),
            "day": _days([r[1] for r in rows], zone),
            "amount": pl.Series([float(r[2]) for r in rows], dtype=pl.Float64),
        }
    )


def join_days(conn: Connection, programme_id: int, zone: str) -> pl.DataFrame:
    """Return every member and the day (in ``zone``) they joined."""
    rows = conn.execute(
        select(LoyaltyAccount.customer_id, LoyaltyAccount.joined_at).where(
            LoyaltyAccount.programme_id == programme_id
        )
    ).all()
    return pl.DataFrame(
        {
            "customer_id": pl.Series([int(r[0]) for r in rows], dtype=pl.Int64),
            "joined": _days([r[1] for r in rows], zone),
        }
    )


def predicted_clv(conn: Connection) -> pl.DataFrame:
    """Return each customer's predicted CLV in the current scoring run (where it has one)."""
    rows = conn.execute(
        select(customer_scores.c.customer_id, customer_scores.c.clv).where(
            customer_scores.c.clv.is_not(None)
        )
    ).all()
    return pl.DataFrame(
        {
            "customer_id": pl.Series([int(r[0]) for r in rows], dtype=pl.Int64),
            "predicted_clv": pl.Series([float(r[1]) for r in rows], dtype=pl.Float64),
        }
    )


def tiers_on(conn: Connection, programme_id: int, day: date) -> dict[int, str]:
    """Return each member's tier on ``day`` (the membership entered by then, not ended)."""
    rows = conn.execute(
        select(LoyaltyTierMembership.customer_id, LoyaltyTierMembership.tier).where(
            LoyaltyTierMembership.programme_id == programme_id,
            LoyaltyTierMembership.entered_on <= day,
            (LoyaltyTierMembership.ended_on.is_(None)) | (LoyaltyTierMembership.ended_on > day),
        )
    ).all()
    return {int(c): str(t) for c, t in rows}


def first_review(conn: Connection, programme_id: int) -> date | None:
    """Return the day of the programme's first tier change (None: no tier yet)."""
    found: date | None = conn.execute(
        select(func.min(LoyaltyTierMembership.entered_on)).where(
            LoyaltyTierMembership.programme_id == programme_id
        )
    ).scalar()
    return found


def members_by(conn: Connection, programme_id: int, until: datetime) -> list[int]:
    """Return the customers who were members by ``until``."""
    return [
        int(c)
        for c in conn.scalars(
            select(LoyaltyAccount.customer_id).where(
                LoyaltyAccount.programme_id == programme_id, LoyaltyAccount.joined_at <= until
            )
        )
    ]


def fingerprint(conn: Connection, programme_id: int) -> tuple[Any, ...]:
    """Return what changes whenever the KPIs could: members, tiers, orders, the current run.

    The KPIs read members' join days, tier memberships, paid orders and the run's predicted
    CLV, never the ledger. Cheap on a big store: orders are stood for by the newest id (the
    primary key's index), so a change to an existing order (a refund) shows from the next
    scoring run, a new run id.
    """
    accounts = select(func.count(), func.max(LoyaltyAccount.joined_at)).where(
        LoyaltyAccount.programme_id == programme_id
    )
    tiers = select(func.count(), func.max(LoyaltyTierMembership.id)).where(
        LoyaltyTierMembership.programme_id == programme_id
    )
    runs = select(func.max(ScoringRun.id)).where(ScoringRun.status == "done")
    return (
        tuple(conn.execute(accounts).one()),
        tuple(conn.execute(tiers).one()),
        conn.execute(select(func.max(Order.id))).scalar(),
        conn.execute(runs).scalar(),
    )
