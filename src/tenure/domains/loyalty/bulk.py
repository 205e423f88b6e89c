"""Set-based earning: a batch of orders credited with a few statements, not a few per order.

One batch opens every member's account at once, reads what the programme's capped rules
earned each member in the batch's days and months once, computes every order's earnings in
memory (orders in time order, caps counted as they go) and appends all the lots in one
``INSERT … ON CONFLICT DO NOTHING``: an (order, rule) credited before — a rerun, a second
worker — writes nothing. Only members who owe points (a refund of spent points) have their
debts settled one by one; that is rare.

It gives exactly what ``service.earn_order`` gives order by order (a test holds the two equal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from tenure.domains.loyalty import ledger
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.earning import OrderFacts, earnings
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import EntryKind
from tenure.domains.loyalty.periods import day_bounds, month_bounds

Window = tuple[int, str, str, datetime]  # account, rule, "day" / "month", window start


@dataclass
class Credited:
    """What one batch wrote."""

    entries: int = 0
    points: int = 0


class _Caps:
    """What each capped rule earned each account per day and month, kept up to date."""

    def __init__(self, book: Book, seen: Mapping[Window, int]) -> None:
        self.zone = book.programme.timezone
        self.rules = {
            r.key: r
            for r in book.programme.earn
            if r.cap_day is not None or r.cap_month is not None
        }
        self.totals: dict[Window, int] = defaultdict(int, seen)

    def windows(self, account: int, rule: str, at: datetime) -> list[tuple[Window, int]]:
        found = self.rules.get(rule)
        if found is None:
            return []
        out = []
        for cap, name, bounds in (
            (found.cap_day, "day", day_bounds),
            (found.cap_month, "month", month_bounds),
        ):
            if cap is not None:
                out.append(((account, rule, name, bounds(at, self.zone)[0]), cap))
        return out

    def take(self, account: int, rule: str, at: datetime, amount: int) -> int:
        windows = self.windows(account, rule, at)
        for window, cap in windows:
            amount = min(amount, cap - self.totals[window])
        amount = max(amount, 0)
        for window, _ in windows:
            self.totals[window] += amount
        return amount


def _seen(
    conn: Connection, book: Book, caps: _Caps, accounts: list[int], orders: Sequence[OrderFacts]
) -> dict[Window, int]:
    """Return what capped rules earned the accounts in the months the batch covers."""
    if not caps.rules or not orders:
        return {}
    zone = book.programme.timezone
    start = month_bounds(min(o.ordered_at for o in orders), zone)[0]
    end = month_bounds(max(o.ordered_at for o in orders), zone)[1]
    totals: dict[Window, int] = defaultdict(int)
    for account, rule, at, amount in repo.capped_earnings(
        conn, book.id, accounts, sorted(caps.rules), start, end
    ):
        for window, _ in caps.windows(account, rule, at):
            totals[window] += amount
    return totals


def credit_orders(
    conn: Connection,
    book: Book,
    orders: Sequence[OrderFacts],
    at: datetime,
    tiers: Mapping[int, str] | None = None,
) -> Credited:
    """Credit what each order earns under each rule, once per (order, rule).

    ``orders`` come in time order; ``tiers`` maps a customer to their tier (for multipliers).
    """
    done = Credited()
    if not orders:
        return done
    first: dict[int, datetime] = {}
    for order in orders:
        first.setdefault(order.customer_id, order.ordered_at)
    accounts = repo.ensure_accounts(conn, book.id, first)
    repo.lock_accounts(conn, sorted(accounts.values()), at)
    done_keys = repo.order_keys(conn, book.id, [o.order_id for o in orders])
    caps = _Caps(book, {})
    caps.totals.update(_seen(conn, book, caps, sorted(accounts.values()), orders))
    rows = []
    for order in orders:
        account = accounts[order.customer_id]
        tier = (tiers or {}).get(order.customer_id)
        for found in earnings(book.programme, order, tier):
            key = f"order:{order.order_id}:{found.rule}"
            if key in done_keys:
                continue
            amount = caps.take(account, found.rule, order.ordered_at, found.amount)
            if amount == 0:
                continue
            rows.append(
                {
                    "programme_id": book.id,
                    "account_id": account,
                    "key": key,
                    "kind": EntryKind.EARN.value,
                    "amount": amount,
                    "order_id": order.order_id,
                    "rule": found.rule,
                    "basis": found.basis,
                    "recorded_at": at,
                    **ledger.lot_values(book, order.ordered_at, pending=True),
                }
            )
    written = repo.insert_entries(conn, rows)
    done.entries = len(written)
    done.points = sum(written)
    for account in repo.owing_accounts(conn, sorted(accounts.values())):
        ledger.settle(conn, account, at)
    return done


def expire_lots(conn: Connection, book: Book, at: datetime) -> int:
    """Write an expiry for every lot whose date has come with something left; return the sum.

    Two statements that stay in the database: one ``INSERT … SELECT`` writes the expiries
    (key ``expire:<lot>``, as ``ledger.expire_due`` writes them; a key taken writes nothing),
    one records the allocations of the new expiries that have none yet. Reading millions of
    lots into Python and writing them back cost more than the rest of a pass. The caller has
    locked the accounts and settled their debts.
    """
    after = repo.last_entry_id(conn)
    repo.write_expiries(conn, book.id, at)
    return repo.allocate_expiries(conn, book.id, at, after)
