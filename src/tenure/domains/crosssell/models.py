"""ORM models of the cross-sell results a scoring run keeps, and of dismissed offers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class SequencePair(Base):
    """One pair (A, B) of a run: customers who bought A and later B (analytics/sequences.py)."""

    __tablename__ = "sequence_pairs"
    __table_args__ = (Index("ix_sequence_pairs_run_id_level_z", "run_id", "level", "z"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"))
    level: Mapped[str] = mapped_column(String(16))  # product or category
    a: Mapped[str] = mapped_column(String(128))
    b: Mapped[str] = mapped_column(String(128))
    a_category: Mapped[str | None] = mapped_column(String(100))
    b_category: Mapped[str | None] = mapped_column(String(100))
    buyers_a: Mapped[int]
    buyers_b: Mapped[int]
    buyers_after: Mapped[int]
    share: Mapped[float]
    share_within: Mapped[float | None]
    lag_q1: Mapped[float]
    lag_median: Mapped[float]
    lag_q3: Mapped[float]
    lift: Mapped[float]
    expected: Mapped[float]
    z: Mapped[float]


class CustomerOffer(Base):
    """A customer's next best offer in a run: the item, when it is due and why."""

    __tablename__ = "customer_offers"
    __table_args__ = (
        Index("ix_customer_offers_run_id_customer_id", "run_id", "customer_id"),
        Index("ix_customer_offers_run_id_due_on", "run_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    level: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(SmallInteger)
    item: Mapped[str] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[float]
    source: Mapped[str] = mapped_column(String(16))  # sequence, learned or popular
    from_item: Mapped[str | None] = mapped_column(String(128))
    from_on: Mapped[date | None]  # the customer's first purchase of from_item
    share: Mapped[float | None]
    share_within: Mapped[float | None]
    lag_median: Mapped[float | None]
    due_on: Mapped[date]


class OfferDismissal(Base):
    """An offer someone dismissed for a customer: not offered again before ``until``."""

    __tablename__ = "offer_dismissals"
    __table_args__ = (Index("ix_offer_dismissals_customer_id_item", "customer_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    item: Mapped[str] = mapped_column(String(128))
    until: Mapped[datetime]
    dismissed_at: Mapped[datetime]
    dismissed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
