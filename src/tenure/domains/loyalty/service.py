"""Loyalty use cases on the ledger: earn on orders, refunds, awards, redemptions, adjustments.

Each takes a connection and never commits. Each locks the member's account first (see
``ledger.open_account``), so concurrent writers to one account take turns, and writes every
entry under an idempotency key, so doing anything twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from tenure.domains.audit import service as audit
from tenure.domains.loyalty import bulk, ledger
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.definition import ExpiryPolicy, Programme
from tenure.domains.loyalty.earning import Earning, OrderFacts, earnings
from tenure.domains.loyalty.ledger import Book, Posted
from tenure.domains.loyalty.models import EntryKind
from tenure.domains.loyalty.periods import day_bounds, month_bounds
from tenure.kit.errors import InvalidInput, NotFound

CENT = Decimal("0.01")


def book(conn: Connection, key: str) -> Book:
    """Return the programme called ``key`` ready for the ledger; 404 if there is none."""
    row = repo.programme(conn, key)
    if row is None:
        known = ", ".join(repo.programme_keys(conn)) or "none yet"
        raise NotFound(f"programme: no loyalty programme {key!r} (known: {known})")
    return Book(row.id, Programme.model_validate(row.definition))


def _capped(conn: Connection, book: Book, account: int, found: Earning, at: datetime) -> int:
    rule = next(r for r in book.programme.earn if r.key == found.rule)
    amount = found.amount
    zone = book.programme.timezone
    for cap, bounds in ((rule.cap_day, day_bounds), (rule.cap_month, month_bounds)):
        if cap is not None:
            start, end = bounds(at, zone)
            amount = min(amount, cap - repo.earned_between(conn, account, rule.key, start, end))
    return max(amount, 0)


def earn_order(
    conn: Connection, book: Book, order: OrderFacts, *, tier: str | None = None
) -> list[Posted]:
    """Credit what a paid order earns under each rule, once per (order, rule).

    In an opt-in programme a customer who had not joined by then earns nothing. The points
    are pending for the programme's return window. Caps count what the rule
    earned the customer that day / month before this order was credited.
    """
    at = order.ordered_at
    if book.programme.opt_in:  # only a member's orders from the moment they joined earn
        joined = repo.joined_at(conn, book.id, order.customer_id)
        if joined is None or joined > at:
            return []
    account = ledger.open_account(conn, book, order.customer_id, at)
    posted = []
    for found in earnings(book.programme, order, tier):
        key = f"order:{order.order_id}:{found.rule}"
        if repo.entry_by_key(conn, book.id, key) is not None:
            continue  # earned before: a re-import or a second worker
        amount = _capped(conn, book, account, found, at)
        if amount == 0:
            continue
        values = {
            "key": key,
            "kind": EntryKind.EARN.value,
            "amount": amount,
            "order_id": order.order_id,
            "rule": found.rule,
            "basis": found.basis,
            **ledger.lot_values(book, at, pending=True),
        }
        posted.append(ledger.credit(conn, book, account, values, at))
    return posted


def refund_order(
    conn: Connection,
    book: Book,
    *,
    order_id: int,
    customer_id: int,
    key: str,
    amount: Decimal,
    at: datetime,
) -> list[Posted]:
    """Take back, in proportion, what a refund of ``amount`` undoes of the order's earnings.

    Refunds add up: after refunds totalling R of an order of A, each earning E of the order
    has been reversed by ⌊E × min(R, A) / A⌋ in all — exactly E once the whole order is
    refunded, and never more. A refund is counted once per key. Points already spent are
    still taken: the balance goes below zero and blocks redemptions until new points cover it.
    """
    if amount <= 0:
        raise InvalidInput(f"amount: a refund is more than 0 (got {amount})")
    account = ledger.open_account(conn, book, customer_id, at)
    if not repo.add_refund(
        conn,
        {
            "programme_id": book.id,
            "order_id": order_id,
            "key": key,
            "amount": amount.quantize(CENT),
            "refunded_at": at,
        },
    ):
        return []  # this refund was counted before
    refunded = repo.refunded_total(conn, book.id, order_id)
    posted = []
    for earn in repo.order_earnings(conn, book.id, order_id):
        whole = earn.basis or Decimal(0)
        target = ledger.share(earn.amount, min(refunded, whole), whole)
        take = target - repo.reversed_of(conn, earn.id)
        if take <= 0:
            continue
        values = {
            "key": f"refund:{key}:{earn.id}",
            "kind": EntryKind.REVERSE.value,
            "amount": -take,
            "occurred_at": at,
            "order_id": order_id,
            "rule": earn.rule,
            "basis": amount.quantize(CENT),
            "reverses_id": earn.id,
        }
        result = ledger.post(conn, book, account, values)
        posted.append(result)
        _cover_reversal(conn, account, result.entry.id, earn.id, take, at)
    return posted


def _cover_reversal(
    conn: Connection, account: int, draw_id: int, lot_id: int, amount: int, at: datetime
) -> None:
    """Cover a reversal: its own lot first (even while pending), then spendable lots.

    Spendable lots go soonest-expiring first; what is still missing stays owed.
    """
    own = next((lot for lot in repo.lots(conn, account) if lot.id == lot_id), None)
    if own is not None:
        taken = min(amount, own.remaining)
        repo.allocate(conn, [(draw_id, lot_id, taken)])
        amount -= taken
    if amount > 0:
        ledger.draw(conn, draw_id, amount, repo.lots(conn, account), at)


@dataclass(frozen=True)
class Credit:
    """Points given to a customer outside an order: an award, a milestone, an opening."""

    customer_id: int
    amount: int
    key: str
    at: datetime
    rule: str | None = None  # what it is for (a playbook, a milestone, a referral)
    reason: str | None = None
    pending: bool = False  # wait the return window first (a referral's reward)
    joins: bool = False  # may make the customer a member of an opt-in programme (a referral)


def award(conn: Connection, book: Book, credit: Credit) -> Posted:
    """Credit points to a customer once per key (an earn entry without an order)."""
    if credit.amount <= 0:
        raise InvalidInput(f"amount: an award is more than 0 (got {credit.amount})")
    account = ledger.open_account(conn, book, credit.customer_id, credit.at, joins=credit.joins)
    values = {
        "key": credit.key,
        "kind": EntryKind.EARN.value,
        "amount": credit.amount,
        "rule": credit.rule,
        "reason": credit.reason,
        **ledger.lot_values(book, credit.at, pending=credit.pending),
    }
    return ledger.credit(conn, book, account, values, credit.at)


def redeem(
    conn: Connection,
    book: Book,
    *,
    customer_id: int,
    key: str,
    at: datetime,
    reward: str | None = None,
    amount: int | None = None,
    quantity: int = 1,
) -> Posted:
    """Spend points on a reward (its price × quantity) or a plain amount, once per key.

    Refused (409) when the spendable balance is short, including while a refund has left it
    below zero.
    """
    if reward is not None:
        found = book.programme.reward(reward)
        if found is None:
            known = ", ".join(r.key for r in book.programme.rewards) or "none"
            raise InvalidInput(f"reward: no reward {reward!r} in this programme (known: {known})")
        if quantity < 1:
            raise InvalidInput(f"quantity: at least 1 (got {quantity})")
        amount = found.price * quantity
    if amount is None or amount <= 0:
        raise InvalidInput("amount: give a reward or an amount of more than 0")
    account = ledger.open_account(conn, book, customer_id, at)
    values = {
        "key": key,
        "kind": EntryKind.REDEEM.value,
        "amount": -amount,
        "occurred_at": at,
        "rule": reward,
    }
    return ledger.spend(conn, book, account, values, at)


def adjust(
    conn: Connection,
    book: Book,
    *,
    customer_id: int,
    amount: int,
    reason: str,
    key: str,
    at: datetime,
    actor: audit.Actor,
) -> Posted:
    """Correct a balance by ``amount`` (either sign) with a reason; audited, once per key.

    A negative adjustment cannot take more than is spendable (that is no correction).
    """
    if not reason.strip():
        raise InvalidInput("reason: an adjustment needs a reason")
    if amount == 0:
        raise InvalidInput("amount: an adjustment is not 0")
    account = ledger.open_account(conn, book, customer_id, at)
    values = {
        "key": key,
        "kind": EntryKind.ADJUST.value,
        "amount": amount,
        "reason": reason.strip(),
        "user_id": actor.user_id,
    }
    if amount > 0:
        posted = ledger.credit(conn, book, account, values | ledger.lot_values(book, at, False), at)
    else:
        posted = ledger.spend(conn, book, account, values | {"occurred_at": at}, at)
    if posted.written:
        audit.record(
            conn,
            actor,
            "loyalty.adjust",
            "loyalty_entries",
            posted.entry.id,
            after={"customer_id": customer_id, "amount": amount, "reason": reason, "key": key},
        )
    return posted


def expire(conn: Connection, book: Book, at: datetime) -> int:
    """Write every expiry due by ``at`` over the whole programme; return how much expired.

    Dated lots expire set-based (``bulk.expire_lots``) after the debts of their members are
    settled; a programme that expires idle accounts then looks at those one by one.
    """
    due = repo.due_accounts(conn, book.id, at)
    repo.lock_accounts(conn, due, at)
    for account in repo.owing_accounts(conn, due):
        ledger.settle(conn, account, at)  # what is owed comes before what would expire
    total = bulk.expire_lots(conn, book, at)
    days = book.programme.expiry.days
    if book.programme.expiry.policy == ExpiryPolicy.INACTIVITY and days is not None:
        for account in repo.idle_accounts(conn, book.id, at - timedelta(days=days)):
            repo.lock_account(conn, account, at)
            total += ledger.expire_due(conn, book, account, at)
    return total


@dataclass(frozen=True)
class Balance:
    """A member's points at a moment, derived from the ledger.

    ``total`` = Σ entries = ``spendable`` + ``pending`` (+ what expired lots still hold until
    the expiry run writes them off). ``spendable`` is below zero while a refund left a debt.
    """

    total: int
    spendable: int
    pending: int
    owed: int


def balance(conn: Connection, book: Book, customer_id: int, at: datetime) -> Balance:
    """Return the customer's balance at ``at`` (all zero if they have no account)."""
    account = repo.account_of(conn, book.id, customer_id)
    if account is None:
        return Balance(0, 0, 0, 0)
    lots = repo.lots(conn, account)
    debts = repo.debts(conn, account)
    owed = sum(d.outstanding for d in debts)
    pending = sum(lot.remaining for lot in lots if lot.available_at > at)
    total = sum(lot.remaining for lot in lots) - owed
    return Balance(total, ledger.spendable(lots, debts, at), pending, owed)


def statement(
    conn: Connection,
    book: Book,
    customer_id: int,
    *,
    limit: int = 100,
    before_id: int | None = None,
) -> list[dict[str, object]]:
    """Return the customer's ledger entries, newest first, as plain rows."""
    account = repo.account_of(conn, book.id, customer_id)
    if account is None:
        return []
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "amount": e.amount,
            "occurred_at": e.occurred_at,
            "available_at": e.available_at,
            "expires_at": e.expires_at,
            "order_id": e.order_id,
            "rule": e.rule,
            "reason": e.reason,
            "key": e.key,
        }
        for e in repo.entries(conn, account, limit=limit, before_id=before_id)
    ]


def customer(conn: Connection, external_id: str) -> int:
    """Return the id of the customer with this external id; 404 naming the field."""
    found = repo.customer_id_of(conn, external_id)
    if found is None:
        raise NotFound(f"customer: no customer has the external id {external_id!r}")
    return found


def sole_programme(conn: Connection, key: str | None) -> Book:
    """Return the programme named ``key``, or the only one when none is named."""
    if key is None:
        keys = repo.programme_keys(conn)
        if len(keys) != 1:
            raise InvalidInput(
                f"programme: name one of {', '.join(keys)}"
                if keys
                else "programme: none yet; apply a programme file first (tenure loyalty apply)"
            )
        key = keys[0]
    return book(conn, key)
