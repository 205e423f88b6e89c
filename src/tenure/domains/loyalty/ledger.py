"""The ledger's mechanics on one locked account: post lots, draw from them, settle debts.

Every function here runs after ``open_account`` took the account's lock, in the caller's
transaction. Draws (redemptions, expiries, reversals, negative adjustments) take from the
soonest-expiring spendable lots first and record which lots they used; what a reversal cannot
cover stays owed (a debt) and is settled from the next lots that become spendable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.definition import ExpiryPolicy, Programme
from tenure.domains.loyalty.models import EntryKind
from tenure.domains.loyalty.periods import lot_expiry
from tenure.kit.errors import Conflict
from tenure.kit.timeutil import utcnow


@dataclass(frozen=True)
class Book:
    """A programme as the ledger needs it: its id and checked definition."""

    id: int
    programme: Programme


@dataclass(frozen=True)
class Posted:
    """An entry the ledger holds, and whether this call wrote it (False: a replay)."""

    entry: repo.Entry
    written: bool


def open_account(
    conn: Connection, book: Book, customer_id: int, at: datetime, *, joins: bool = False
) -> int:
    """Return the customer's account, opened if need be and locked for this transaction.

    In an opt-in programme only joining opens one (``joins``: a join, an opening balance, a
    referral's reward); anything else for a customer who has not joined is a conflict.
    """
    if book.programme.opt_in and not joins:
        found = repo.account_of(conn, book.id, customer_id)
        if found is None:
            raise Conflict(
                f"customer: {customer_id} has not joined {book.programme.name}, an opt-in "
                "programme (tenure loyalty join, or POST …/loyalty/membership)"
            )
    account = repo.ensure_account(conn, book.id, customer_id, at)
    repo.lock_account(conn, account, at)
    return account


def spendable(lots: list[repo.Lot], debts: list[repo.Debt], at: datetime) -> int:
    """Return what may be spent at ``at``: unexpired spendable lots less what is owed."""
    usable = sum(lot.remaining for lot in lots if _usable(lot, at))
    return usable - sum(d.outstanding for d in debts)


def _usable(lot: repo.Lot, at: datetime) -> bool:
    return lot.available_at <= at and (lot.expires_at is None or lot.expires_at > at)


def post(conn: Connection, book: Book, account: int, values: dict[str, Any]) -> Posted:
    """Append an entry under its key; if the key is taken, return the entry it holds.

    A replay under the same key with a different kind, account or amount is a conflict: the
    caller reused a key for something else.
    """
    key = values["key"]
    row = {"programme_id": book.id, "account_id": account, "recorded_at": utcnow(), **values}
    written = repo.insert_entry(conn, row) is not None
    entry = repo.entry_by_key(conn, book.id, key)
    if entry is None:  # pragma: no cover - the insert or the earlier writer put it there
        raise RuntimeError(f"ledger entry {key!r} vanished")
    if not written and (
        entry.kind != values["kind"]
        or entry.account_id != account
        or entry.amount != values["amount"]
    ):
        raise Conflict(
            f"key: {key!r} was used for another entry ({entry.kind} {entry.amount}); "
            "use a new idempotency key"
        )
    return Posted(entry, written)


def lot_values(book: Book, occurred_at: datetime, pending: bool) -> dict[str, Any]:
    """Return when a new lot becomes spendable (after the pending period) and expires."""
    days = book.programme.pending_days if pending else 0
    available = occurred_at + timedelta(days=days)
    return {
        "occurred_at": occurred_at,
        "available_at": available,
        "expires_at": lot_expiry(book.programme, available),
    }


def draw(
    conn: Connection, draw_id: int, amount: int, lots: list[repo.Lot], at: datetime | None
) -> int:
    """Allocate up to ``amount`` of a draw over the lots in order; return what is left.

    With ``at``, only lots usable then (spendable, not expired) are drawn; without, all given.
    """
    rows: list[tuple[int, int, int]] = []
    for lot in lots:
        if amount == 0:
            break
        if (at is not None and not _usable(lot, at)) or lot.remaining == 0:
            continue
        take = min(amount, lot.remaining)
        rows.append((draw_id, lot.id, take))
        amount -= take
    repo.allocate(conn, rows)
    return amount


def settle(conn: Connection, account: int, at: datetime) -> None:
    """Cover what is owed from lots past their pending period, the soonest-expiring first.

    A lot whose expiry date has come but which the expiry run has not written off yet pays
    debts too: what is owed comes before what would expire.
    """
    for debt in repo.debts(conn, account):
        lots = [lot for lot in repo.lots(conn, account) if lot.available_at <= at]
        if draw(conn, debt.id, debt.outstanding, lots, None) > 0:
            break  # nothing usable is left for the next debt either


def expire_due(conn: Connection, book: Book, account: int, at: datetime) -> int:
    """Write the expiry entries due by ``at``; return how much expired.

    Debts are settled first, from the lots about to expire too, so an expiry never takes
    points the customer owes.
    """
    settle(conn, account, at)
    expired = 0
    for lot in repo.lots(conn, account):
        if lot.expires_at is None or lot.expires_at > at:
            continue
        posted = post(
            conn,
            book,
            account,
            {
                "key": f"expire:{lot.id}",
                "kind": EntryKind.EXPIRE.value,
                "amount": -lot.remaining,
                "occurred_at": lot.expires_at,
            },
        )
        if posted.written:
            repo.allocate(conn, [(posted.entry.id, lot.id, lot.remaining)])
            expired += lot.remaining
    if book.programme.expiry.policy == ExpiryPolicy.INACTIVITY:
        expired += _expire_idle(conn, book, account, at)
    return expired


def _expire_idle(conn: Connection, book: Book, account: int, at: datetime) -> int:
    days = book.programme.expiry.days
    last = repo.last_activity(conn, account)
    if days is None or last is None or last[1] + timedelta(days=days) > at:
        return 0
    lots = repo.lots(conn, account)
    total = sum(lot.remaining for lot in lots)
    if total == 0:
        return 0
    posted = post(
        conn,
        book,
        account,
        {
            # one expiry per quiet spell: the spell is named by the activity that began it
            "key": f"expire:idle:{account}:{last[0]}",
            "kind": EntryKind.EXPIRE.value,
            "amount": -total,
            "occurred_at": last[1] + timedelta(days=days),
        },
    )
    if not posted.written:
        return 0
    repo.allocate(conn, [(posted.entry.id, lot.id, lot.remaining) for lot in lots])
    return total


def spend(
    conn: Connection, book: Book, account: int, values: dict[str, Any], at: datetime
) -> Posted:
    """Draw ``-values['amount']`` from the spendable balance, or refuse with a conflict.

    Expiries due by ``at`` are written first so that expired points are never spent. A
    replay under the same key returns the first result and draws nothing more.
    """
    existing = repo.entry_by_key(conn, book.id, values["key"])
    if existing is not None:
        return post(conn, book, account, values)  # a replay (or a conflicting reuse)
    expire_due(conn, book, account, at)
    amount = -int(values["amount"])
    lots = repo.lots(conn, account)
    have = spendable(lots, repo.debts(conn, account), at)
    if have < amount:
        raise Conflict(f"amount: {amount} is more than the spendable balance {have}")
    posted = post(conn, book, account, values)
    draw(conn, posted.entry.id, amount, lots, at)
    return posted


def credit(
    conn: Connection, book: Book, account: int, values: dict[str, Any], at: datetime
) -> Posted:
    """Append a lot and settle any debt it can cover."""
    posted = post(conn, book, account, values)
    if posted.written:
        settle(conn, account, at)
    return posted


def share(amount: int, part: Decimal, whole: Decimal) -> int:
    """Return ``amount × part / whole`` rounded down, exactly (``part`` ≤ ``whole``)."""
    if whole <= 0:
        return amount
    return int((Decimal(amount) * part / whole).to_integral_value(rounding="ROUND_FLOOR"))
