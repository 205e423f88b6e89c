"""ORM models of orders and order lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped
from tenure.storage.types import Money


class OrderStatus(StrEnum):
    """Only paid orders count as purchases; refunds and cancellations are kept for the record."""

    PAID = "paid"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class Order(Timestamped, Base):
    """A purchase by a customer; ``amount`` is what the customer paid, after discount."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_id_ordered_at", "customer_id", "ordered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ordered_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PAID.value)
    amount: Mapped[Decimal] = mapped_column(Money())
    cost: Mapped[Decimal | None] = mapped_column(Money())
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    channel: Mapped[str | None] = mapped_column(String(64))


class OrderLine(Base):
    """One product on an order."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    product_id: Mapped[str | None] = mapped_column(String(128))
    product_name: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[Decimal | None] = mapped_column(Money())
