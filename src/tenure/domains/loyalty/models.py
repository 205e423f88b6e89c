"""ORM models of loyalty: programmes, member accounts and the append-only ledger.

Amounts are whole minor units of the programme's currency (points, or cents of cashback):
integers, never floats. A positive entry is a *lot*; a negative entry *draws* from lots, and
each draw's allocation to the lots it used is recorded. Balances and lots are derived from
these rows, never stored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base
from tenure.storage.types import Money


class EntryKind(StrEnum):
    """What an entry of the ledger records."""

    EARN = "earn"  # points an order (or a milestone, a referral, a playbook) earned: a lot
    REDEEM = "redeem"  # points spent on a reward: a draw
    EXPIRE = "expire"  # points that ran out: a draw
    REVERSE = "reverse"  # an order's points taken back after a refund: a draw, may leave a debt
    ADJUST = "adjust"  # a person's correction or an opening balance, with a reason: either sign


class LoyaltyProgramme(Base):
    """A programme as applied from its YAML file: the checked definition and its source."""

    __tablename__ = "loyalty_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(16))  # points or cashback
    version: Mapped[int]
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LoyaltyAccount(Base):
    """One customer's membership of one programme.

    ``touched_at`` is set by every write to the account's ledger: that UPDATE takes the row's
    lock on PostgreSQL (and the write lock on SQLite) before the balance is read, so two
    redemptions of one balance run one after the other and cannot overdraw it.
    """

    __tablename__ = "loyalty_accounts"
    __table_args__ = (UniqueConstraint("programme_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    joined_at: Mapped[datetime]
    touched_at: Mapped[datetime]


class LoyaltyEntry(Base):
    """One line of the append-only ledger; ``key`` makes writing it idempotent."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("programme_id", "key"),
        Index("ix_loyalty_entries_account_id_occurred_at", "account_id", "occurred_at"),
        # partial: most entries hold no expiry, order or reversed lot (a draw, an earning
        # never refunded), and an index of NULLs is only upkeep on every write
        *(
            Index(
                f"ix_loyalty_entries_{column}",
                column,
                sqlite_where=text(f"{column} IS NOT NULL"),
                postgresql_where=text(f"{column} IS NOT NULL"),
            )
            for column in ("expires_at", "order_id", "reverses_id")
        ),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("loyalty_accounts.id"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units; + a lot, − a draw
    occurred_at: Mapped[datetime]  # when it happened for the customer (the order's time)
    recorded_at: Mapped[datetime]  # when the ledger learnt of it
    # lots only: spendable from (after the pending period), and when what is left expires
    available_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    rule: Mapped[str | None] = mapped_column(String(64))  # earn rule, reward or milestone key
    basis: Mapped[Decimal | None] = mapped_column(Money())  # money it was computed from
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_entries.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LoyaltyAllocation(Base):
    """How much of one lot one draw used (append-only; a debt is settled by later rows)."""

    __tablename__ = "loyalty_allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class LoyaltyRefund(Base):
    """A refund of an order as the ledger learnt it; its key makes it count once."""

    __tablename__ = "loyalty_refunds"
    __table_args__ = (UniqueConstraint("programme_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    refunded_at: Mapped[datetime]


class ReferralStatus(StrEnum):
    """Where a referral stands."""

    WAITING = "waiting"  # for the friend's first paid order and its return window
    REVIEW = "review"  # looks suspicious: a person approves or rejects it
    REWARDED = "rewarded"
    REJECTED = "rejected"


class LoyaltyReferralCode(Base):
    """A member's code (or link) to invite friends with; one per customer and programme."""

    __tablename__ = "loyalty_referral_codes"
    __table_args__ = (UniqueConstraint("programme_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime]


class LoyaltyReferral(Base):
    """A friend who arrived by a member's code; a friend is referred at most once."""

    __tablename__ = "loyalty_referrals"
    __table_args__ = (UniqueConstraint("programme_id", "friend_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    friend_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    referred_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), index=True)
    reasons: Mapped[list[str]]  # why it waits for review or was rejected (vocabulary keys)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))  # the first order
    rewarded_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class LoyaltyTierMembership(Base):
    """A member's tier from one day to another: the history of tier reviews' decisions.

    The open row (``ended_on`` null) is the current tier. ``below_since`` is the first review
    day the member was below the tier's retain threshold after its term (the grace clock).
    """

    __tablename__ = "loyalty_tier_memberships"
    __table_args__ = (
        Index("ix_loyalty_tier_memberships_programme_id_ended_on", "programme_id", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programmes.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    tier: Mapped[str] = mapped_column(String(64))
    from_tier: Mapped[str | None] = mapped_column(String(64))
    entered_on: Mapped[date]
    ended_on: Mapped[date | None]
    below_since: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(16))  # enter, down
    metric: Mapped[Decimal] = mapped_column(Money())  # the qualifying metric that day
