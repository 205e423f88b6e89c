"""What an order earns under each rule, before caps: pure arithmetic on the order's facts.

    base    = the order's amount, or the amount of its lines that match ``lines``
    earned  = ⌊ (⌊base × per_unit⌋ + per_order) × multiplier(tier) ⌋   if base ≥ min_amount

Everything is Decimal and rounded down to whole units, so the same order always earns the
same amount on every database and in every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from tenure.domains.loyalty.definition import EarnRule, Programme
from tenure.kit import filters


@dataclass(frozen=True)
class LineFacts:
    """One line of an order, as earn rules see it."""

    category: str | None
    product_id: str | None
    product_name: str | None
    quantity: int
    unit_price: Decimal | None

    @property
    def line_amount(self) -> Decimal:
        """Quantity × unit price (0 without a price)."""
        return (self.unit_price or Decimal(0)) * self.quantity


@dataclass(frozen=True)
class OrderFacts:
    """An order with what earn rules may ask of it and of its customer."""

    order_id: int
    customer_id: int
    ordered_at: datetime
    amount: Decimal
    discount: Decimal = Decimal(0)
    channel: str | None = None
    currency: str = "USD"
    lines: tuple[LineFacts, ...] = ()
    customer: Mapping[str, Any] = field(default_factory=dict)  # customer_country, …

    def record(self) -> dict[str, Any]:
        """Return the fields a rule's ``when`` filter reads."""
        return {
            "amount": float(self.amount),
            "discount": float(self.discount),
            "channel": self.channel,
            "currency": self.currency,
            "line_count": len(self.lines),
            **self.customer,
        }


@dataclass(frozen=True)
class Earning:
    """What one rule gives one order, before the rule's caps, and the money it was based on."""

    rule: str
    amount: int
    basis: Decimal


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def base_of(rule: EarnRule, order: OrderFacts) -> Decimal | None:
    """Return the money the rule counts for this order, or None if it does not apply."""
    if rule.when is not None and not filters.matches(rule.when, order.record()):
        return None
    if rule.lines is None:
        base = order.amount
    else:
        matching = [
            line
            for line in order.lines
            if filters.matches(
                rule.lines,
                {
                    "category": line.category,
                    "product_id": line.product_id,
                    "product_name": line.product_name,
                    "quantity": line.quantity,
                    "unit_price": None if line.unit_price is None else float(line.unit_price),
                    "line_amount": float(line.line_amount),
                },
            )
        ]
        if not matching:
            return None
        base = sum((line.line_amount for line in matching), Decimal(0))
    return base if base >= rule.min_amount and base > 0 else None


def earned(rule: EarnRule, base: Decimal, tier: str | None) -> int:
    """Return the rule's amount on ``base`` for a member of ``tier`` (before caps)."""
    plain = _floor(base * rule.per_unit) + rule.per_order
    factor = rule.multipliers.get(tier, Decimal(1)) if tier is not None else Decimal(1)
    return _floor(Decimal(plain) * factor)


def earnings(programme: Programme, order: OrderFacts, tier: str | None) -> list[Earning]:
    """Return each rule's earning on ``order`` (rules that give nothing are left out)."""
    found = []
    for rule in programme.earn:
        base = base_of(rule, order)
        if base is None:
            continue
        amount = earned(rule, base, tier)
        if amount > 0:
            found.append(Earning(rule.key, amount, order.amount))
    return found
