"""An independent, in-memory model of the ledger's rules, for the property tests.

It keeps lots and debts as plain numbers and follows the documented rules step by step,
without SQL, so the store's answers can be compared with it after every operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

PENDING = timedelta(days=3)
LIFETIME = timedelta(days=30)


@dataclass
class Lot:
    """A lot: when it is spendable, when it expires, what is left."""

    serial: int
    available: datetime
    expires: datetime
    left: int


@dataclass
class Account:
    """One member's lots and what they owe."""

    lots: list[Lot] = field(default_factory=list)
    owed: int = 0

    def ordered(self) -> list[Lot]:
        return sorted(self.lots, key=lambda lot: (lot.expires, lot.available, lot.serial))

    def take(self, amount: int, lots: list[Lot]) -> int:
        for lot in lots:
            used = min(amount, lot.left)
            lot.left -= used
            amount -= used
        return amount

    def usable(self, at: datetime) -> list[Lot]:
        return [lot for lot in self.ordered() if lot.available <= at < lot.expires]

    def settle(self, at: datetime) -> None:
        self.owed = self.take(self.owed, [lot for lot in self.ordered() if lot.available <= at])

    def due(self, at: datetime) -> bool:
        return any(lot.left and lot.expires <= at for lot in self.lots)

    def expire_due(self, at: datetime) -> int:
        self.settle(at)
        gone = sum(lot.left for lot in self.lots if lot.expires <= at)
        for lot in self.lots:
            if lot.expires <= at:
                lot.left = 0
        return gone

    def spendable(self, at: datetime) -> int:
        return sum(lot.left for lot in self.usable(at)) - self.owed

    def total(self) -> int:
        return sum(lot.left for lot in self.lots) - self.owed


@dataclass
class Model:
    """Every account, plus what each order earned and had reversed."""

    accounts: dict[int, Account] = field(default_factory=dict)
    earned: dict[int, tuple[int, Lot, Decimal]] = field(default_factory=dict)  # order -> …
    reversed: dict[int, int] = field(default_factory=dict)
    refunded: dict[int, Decimal] = field(default_factory=dict)
    refund_keys: set[str] = field(default_factory=set)
    serial: int = 0

    def account(self, who: int) -> Account:
        return self.accounts.setdefault(who, Account())

    def credit(self, who: int, amount: int, at: datetime, pending: bool) -> Lot:
        self.serial += 1
        available = at + (PENDING if pending else timedelta(0))
        lot = Lot(self.serial, available, available + LIFETIME, amount)
        account = self.account(who)
        account.lots.append(lot)
        account.settle(at)
        return lot

    def earn(self, who: int, order: int, amount: Decimal, at: datetime) -> None:
        points = int(amount.to_integral_value(rounding=ROUND_FLOOR))
        if order in self.earned or points == 0:
            return
        self.earned[order] = (points, self.credit(who, points, at, pending=True), amount)

    def refund(self, who: int, order: int, key: str, amount: Decimal, at: datetime) -> None:
        if key in self.refund_keys:
            return
        self.refund_keys.add(key)
        self.refunded[order] = self.refunded.get(order, Decimal(0)) + amount
        if order not in self.earned:
            return
        points, lot, whole = self.earned[order]
        share = Decimal(points) * min(self.refunded[order], whole) / whole
        take = int(share.to_integral_value(rounding=ROUND_FLOOR)) - self.reversed.get(order, 0)
        if take <= 0:
            return
        self.reversed[order] = self.reversed.get(order, 0) + take
        account = self.account(who)
        own = min(take, lot.left)
        lot.left -= own
        account.owed += account.take(take - own, account.usable(at))

    def redeem(self, who: int, amount: int, at: datetime) -> bool:
        account = self.account(who)
        account.expire_due(at)
        if account.spendable(at) < amount:
            return False
        account.take(amount, account.usable(at))
        return True

    def expire(self, at: datetime) -> int:
        return sum(a.expire_due(at) for a in self.accounts.values() if a.due(at))
