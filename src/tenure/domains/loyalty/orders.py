"""Earning driven by the orders in the store: credit paid orders, take back refunded ones.

Each pass looks at the paid orders up to its day that have not earned yet (an order whose
rules gave nothing is looked at again, and again gives nothing), then at refunded orders
whose points are not fully reversed. Every write goes through the ledger's keys, so two
passes, or two workers, credit each order once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, exists, select

from tenure.domains.customers.models import Customer
from tenure.domains.loyalty import bulk, fast, service, tier_repository
from tenure.domains.loyalty.earning import LineFacts, OrderFacts
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import EntryKind, LoyaltyEntry, LoyaltyRefund
from tenure.domains.orders.models import Order, OrderLine, OrderStatus
from tenure.kit.timeutil import start_of_day

BATCH = 2_000


@dataclass
class Pass:
    """What one pass over the orders did."""

    orders: int = 0  # orders looked at
    earned: int = 0  # entries written
    points: int = 0
    refunds: int = 0
    reversed: int = 0


def _unearned(book: Book, since: datetime | None, until: datetime) -> Any:
    earned = exists().where(
        and_(
            LoyaltyEntry.programme_id == book.id,
            LoyaltyEntry.order_id == Order.id,
            LoyaltyEntry.kind == EntryKind.EARN.value,
        )
    )
    query = select(
        Order.id,
        Order.customer_id,
        Order.ordered_at,
        Order.amount,
        Order.discount,
        Order.channel,
        Order.currency,
        Customer.country,
        Customer.region,
        Customer.city,
        Customer.acquisition_channel,
        Customer.industry,
    ).join(Customer, Customer.id == Order.customer_id)
    query = query.where(
        Order.status == OrderStatus.PAID.value, Order.ordered_at <= until, ~earned
    ).order_by(Order.ordered_at, Order.id)
    if book.programme.opt_in:  # only members earn, on orders from the moment they joined
        query = query.where(fast.joined_before(book))
    return query if since is None else query.where(Order.ordered_at >= since)


def _lines(conn: Connection, order_ids: list[int]) -> dict[int, list[LineFacts]]:
    found: dict[int, list[LineFacts]] = defaultdict(list)
    rows = conn.execute(
        select(
            OrderLine.order_id,
            OrderLine.category,
            OrderLine.product_id,
            OrderLine.product_name,
            OrderLine.quantity,
            OrderLine.unit_price,
        )
        .where(OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    for order_id, category, product_id, name, quantity, price in rows:
        found[int(order_id)].append(LineFacts(category, product_id, name, quantity, price))
    return found


def _facts(row: Any, lines: list[LineFacts]) -> OrderFacts:
    (order_id, customer_id, at, amount, discount, channel, currency, *who) = row
    keys = ("country", "region", "city", "acquisition_channel", "industry")
    return OrderFacts(
        order_id=int(order_id),
        customer_id=int(customer_id),
        ordered_at=at,
        amount=Decimal(amount),
        discount=Decimal(discount or 0),
        channel=channel,
        currency=currency,
        lines=tuple(lines),
        customer={f"customer_{k}": v for k, v in zip(keys, who, strict=True)},
    )


def earn_orders(
    conn: Connection,
    book: Book,
    until: datetime,
    *,
    since: datetime | None = None,
    tiers: Mapping[int, str] | None = None,
) -> Pass:
    """Credit every paid order up to ``until`` (from ``since``) that has not earned yet.

    Set-based: all of them at once in SQL and Polars (see ``fast``), or for a programme whose
    numbers would overflow its integers a batch of orders at a time (see ``bulk``); ``tiers``
    maps a customer to the tier whose multipliers apply.
    """
    done = Pass()
    if fast.expressible(book):
        done.orders, done.earned, done.points = fast.earn_all(
            conn, book, until, since=since, tiers=tiers
        )
        return done
    rows = conn.execute(_unearned(book, since, until)).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        lines = _lines(conn, [int(r[0]) for r in batch])
        facts = [_facts(row, lines.get(int(row[0]), [])) for row in batch]
        credited = bulk.credit_orders(conn, book, facts, until, tiers)
        done.orders += len(batch)
        done.earned += credited.entries
        done.points += credited.points
    return done


def reverse_refunded(conn: Connection, book: Book, until: datetime, done: Pass) -> None:
    """Take back the points of orders the store marks refunded (once per order)."""
    counted = exists().where(
        and_(
            LoyaltyRefund.programme_id == book.id,
            LoyaltyRefund.order_id == Order.id,
            LoyaltyRefund.key == "status:" + Order.external_id,
        )
    )
    earned = exists().where(
        and_(LoyaltyEntry.programme_id == book.id, LoyaltyEntry.order_id == Order.id)
    )
    rows = conn.execute(
        select(Order.id, Order.external_id, Order.customer_id, Order.amount, Order.updated_at)
        .where(Order.status == OrderStatus.REFUNDED.value, earned, ~counted)
        .order_by(Order.id)
    ).all()
    for order_id, external_id, customer_id, amount, updated_at in rows:
        posted = service.refund_order(
            conn,
            book,
            order_id=int(order_id),
            customer_id=int(customer_id),
            key=f"status:{external_id}",
            amount=Decimal(amount),
            at=min(updated_at, until),
        )
        done.refunds += 1
        done.reversed += -sum(p.entry.amount for p in posted)


def run(conn: Connection, book: Book, until: datetime, *, since: datetime | None = None) -> Pass:
    """One pass: earn on new paid orders, reverse refunded ones, write expiries due."""
    starts = book.programme.starts_on
    if since is None and starts is not None:
        since = start_of_day(starts, book.programme.timezone)
    tiers = tier_repository.tiers_of(conn, book.id) if book.programme.tiers else None
    done = earn_orders(conn, book, until, since=since, tiers=tiers)
    reverse_refunded(conn, book, until, done)
    service.expire(conn, book, until)
    return done
