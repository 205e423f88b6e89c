"""Every query on referrals: members' codes, referred friends, and what the checks read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import aliased

from tenure.domains.customers.models import Customer
from tenure.domains.loyalty.models import (
    LoyaltyReferral,
    LoyaltyReferralCode,
    ReferralStatus,
)
from tenure.domains.orders.models import Order, OrderStatus


@dataclass(frozen=True)
class Contact:
    """What the checks compare of a person: their email and phone as stored."""

    customer_id: int
    external_id: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class ReferralRow:
    """One referral as the list and the review show it."""

    id: int
    referrer: str  # external ids: what people know customers by
    friend: str
    referred_at: datetime
    status: str
    reasons: list[str]
    order_id: int | None
    rewarded_at: datetime | None
    note: str | None
    referrer_id: int
    friend_id: int


@dataclass(frozen=True)
class FirstOrder:
    """A waiting referral with its friend's first paid order since the referral."""

    referral_id: int
    referrer_id: int
    friend_id: int
    order_id: int
    ordered_at: datetime
    amount: Decimal
    refunded: bool


def code_of(conn: Connection, programme_id: int, customer_id: int) -> str | None:
    """Return the member's code, if one was made."""
    return conn.execute(
        select(LoyaltyReferralCode.code).where(
            LoyaltyReferralCode.programme_id == programme_id,
            LoyaltyReferralCode.customer_id == customer_id,
        )
    ).scalar_one_or_none()


def add_code(
    conn: Connection, programme_id: int, customer_id: int, code: str, at: datetime
) -> None:
    """Store a member's new code."""
    conn.execute(
        insert(LoyaltyReferralCode).values(
            programme_id=programme_id, customer_id=customer_id, code=code, created_at=at
        )
    )


def code_taken(conn: Connection, code: str) -> bool:
    """Whether any programme's member has ``code`` already."""
    found = conn.execute(
        select(LoyaltyReferralCode.id).where(LoyaltyReferralCode.code == code)
    ).first()
    return found is not None


def owner_of_code(conn: Connection, programme_id: int, code: str) -> int | None:
    """Return the customer whose code ``code`` is in the programme."""
    found = conn.execute(
        select(LoyaltyReferralCode.customer_id).where(
            LoyaltyReferralCode.programme_id == programme_id, LoyaltyReferralCode.code == code
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def contact(conn: Connection, customer_id: int) -> Contact:
    """Return the customer's email and phone."""
    row = conn.execute(
        select(Customer.id, Customer.external_id, Customer.email, Customer.phone).where(
            Customer.id == customer_id
        )
    ).one()
    return Contact(*row)


def others_with_contact(conn: Connection, customer_id: int) -> list[Contact]:
    """Return the other known customers (not erased) that have an email or a phone."""
    rows = conn.execute(
        select(Customer.id, Customer.external_id, Customer.email, Customer.phone).where(
            Customer.id != customer_id,
            Customer.erased_at.is_(None),
            (Customer.email.is_not(None)) | (Customer.phone.is_not(None)),
        )
    )
    return [Contact(*row) for row in rows]


def paid_before(conn: Connection, customer_id: int, at: datetime) -> bool:
    """Whether the customer had a paid order before ``at`` (an existing customer)."""
    found = conn.execute(
        select(Order.id).where(
            Order.customer_id == customer_id,
            Order.status == OrderStatus.PAID.value,
            Order.ordered_at < at,
        )
    ).first()
    return found is not None


def referred_since(conn: Connection, programme_id: int, referrer_id: int, since: datetime) -> int:
    """Count the referrer's referrals since ``since``."""
    return int(
        conn.execute(
            select(func.count()).where(
                LoyaltyReferral.programme_id == programme_id,
                LoyaltyReferral.referrer_id == referrer_id,
                LoyaltyReferral.referred_at >= since,
            )
        ).scalar_one()
    )


def friends_of(conn: Connection, programme_id: int, referrer_id: int) -> list[Contact]:
    """Return the friends the referrer brought before."""
    rows = conn.execute(
        select(Customer.id, Customer.external_id, Customer.email, Customer.phone)
        .join(LoyaltyReferral, LoyaltyReferral.friend_id == Customer.id)
        .where(
            LoyaltyReferral.programme_id == programme_id,
            LoyaltyReferral.referrer_id == referrer_id,
        )
    )
    return [Contact(*row) for row in rows]


def referral_of_friend(conn: Connection, programme_id: int, friend_id: int) -> int | None:
    """Return the referral that brought ``friend_id``, if any."""
    found = conn.execute(
        select(LoyaltyReferral.id).where(
            LoyaltyReferral.programme_id == programme_id, LoyaltyReferral.friend_id == friend_id
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def add_referral(conn: Connection, values: dict[str, Any]) -> int:
    """Store a referral; return its id."""
    return int(
        conn.execute(
            insert(LoyaltyReferral).values(**values).returning(LoyaltyReferral.id)
        ).scalar_one()
    )


def set_referral(conn: Connection, referral_id: int, values: dict[str, Any]) -> None:
    """Change a referral's status and what goes with it."""
    conn.execute(update(LoyaltyReferral).where(LoyaltyReferral.id == referral_id).values(**values))


def listing(
    conn: Connection,
    programme_id: int,
    status: str | None = None,
    referral_id: int | None = None,
    referrer_id: int | None = None,
) -> list[ReferralRow]:
    """Return the programme's referrals, the newest first."""
    referrer = aliased(Customer)
    friend = aliased(Customer)
    query = (
        select(
            LoyaltyReferral.id,
            referrer.external_id,
            friend.external_id,
            LoyaltyReferral.referred_at,
            LoyaltyReferral.status,
            LoyaltyReferral.reasons,
            LoyaltyReferral.order_id,
            LoyaltyReferral.rewarded_at,
            LoyaltyReferral.note,
            LoyaltyReferral.referrer_id,
            LoyaltyReferral.friend_id,
        )
        .join(referrer, referrer.id == LoyaltyReferral.referrer_id)
        .join(friend, friend.id == LoyaltyReferral.friend_id)
        .where(LoyaltyReferral.programme_id == programme_id)
        .order_by(LoyaltyReferral.referred_at.desc(), LoyaltyReferral.id.desc())
    )
    if status is not None:
        query = query.where(LoyaltyReferral.status == status)
    if referral_id is not None:
        query = query.where(LoyaltyReferral.id == referral_id)
    if referrer_id is not None:
        query = query.where(LoyaltyReferral.referrer_id == referrer_id)
    return [ReferralRow(*row) for row in conn.execute(query)]


def first_orders(conn: Connection, programme_id: int) -> list[FirstOrder]:
    """Return each waiting referral with its friend's first paid order since the referral.

    The first order counts even if a later one is bigger: a referral pays for a new customer's
    first purchase, not for the best of several.
    """
    first = (
        select(
            LoyaltyReferral.id.label("referral_id"),
            func.min(Order.ordered_at).label("ordered_at"),
        )
        .join(Order, Order.customer_id == LoyaltyReferral.friend_id)
        .where(
            LoyaltyReferral.programme_id == programme_id,
            LoyaltyReferral.status == ReferralStatus.WAITING.value,
            Order.status.in_([OrderStatus.PAID.value, OrderStatus.REFUNDED.value]),
            Order.ordered_at >= LoyaltyReferral.referred_at,
        )
        .group_by(LoyaltyReferral.id)
        .subquery()
    )
    rows = conn.execute(
        select(
            LoyaltyReferral.id,
            LoyaltyReferral.referrer_id,
            LoyaltyReferral.friend_id,
            Order.id,
            Order.ordered_at,
            Order.amount,
            Order.status,
        )
        .join(first, first.c.referral_id == LoyaltyReferral.id)
        .join(
            Order,
            (Order.customer_id == LoyaltyReferral.friend_id)
            & (Order.ordered_at == first.c.ordered_at),
        )
        .order_by(LoyaltyReferral.id, Order.id)
    )
    seen: set[int] = set()
    found = []
    for referral_id, referrer_id, friend_id, order_id, ordered_at, amount, status in rows:
        if referral_id in seen:
            continue  # two orders in the same instant: the first id is the first order
        seen.add(referral_id)
        refunded = status == OrderStatus.REFUNDED.value
        found.append(
            FirstOrder(referral_id, referrer_id, friend_id, order_id, ordered_at, amount, refunded)
        )
    return found


def status_counts(conn: Connection, programme_id: int) -> dict[str, int]:
    """Return how many of the programme's referrals stand in each status (all four named)."""
    rows = conn.execute(
        select(LoyaltyReferral.status, func.count())
        .where(LoyaltyReferral.programme_id == programme_id)
        .group_by(LoyaltyReferral.status)
    )
    counts = {status.value: 0 for status in ReferralStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts
