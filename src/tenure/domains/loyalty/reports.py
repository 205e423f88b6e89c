"""What the Loyalty page and the customer's loyalty card show, read from the ledger.

Figures of a programme (all in its units, points or cents):

* issued   = Σ earn entries + Σ positive adjustments (openings, corrections)
* redeemed = −Σ redeem entries;  expired = −Σ expire entries;  reversed = −Σ reverse entries
* outstanding = Σ every entry (what members hold, less what refunds left owing);
  liability = outstanding × the programme's unit value, in money
* redemption rate = redeemed ÷ issued;  breakage = expired ÷ issued
* months are calendar months in UTC of each entry's ``occurred_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, func, select

from tenure.domains.customers.models import Customer
from tenure.domains.loyalty import referral_repository, service, tier_repository
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.definition import Tiers
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import EntryKind, LoyaltyAccount, LoyaltyEntry
from tenure.domains.loyalty.tiers import window_start
from tenure.kit.timeutil import end_of_day

TOP = 10
SOON_DAYS = 30  # lots expiring within this many days show on the customer's card
RECENT = 5


@dataclass(frozen=True)
class Summary:
    """A programme's totals (units) and rates."""

    members: int
    issued: int
    redeemed: int
    expired: int
    reversed: int
    outstanding: int
    liability: Decimal
    redemption_rate: float | None
    breakage: float | None


def _month(conn: Connection) -> Any:
    if conn.dialect.name == "sqlite":
        return func.substr(LoyaltyEntry.occurred_at, 1, 7)
    return func.to_char(func.timezone("UTC", LoyaltyEntry.occurred_at), "YYYY-MM")


def _issued() -> Any:
    kind = LoyaltyEntry.kind
    positive = (kind == EntryKind.ADJUST.value) & (LoyaltyEntry.amount > 0)
    return case(((kind == EntryKind.EARN.value) | positive, LoyaltyEntry.amount), else_=0)


def _drawn(kind: EntryKind) -> Any:
    return case((LoyaltyEntry.kind == kind.value, -LoyaltyEntry.amount), else_=0)


def _sums() -> list[Any]:
    return [
        func.coalesce(func.sum(_issued()), 0),
        func.coalesce(func.sum(_drawn(EntryKind.REDEEM)), 0),
        func.coalesce(func.sum(_drawn(EntryKind.EXPIRE)), 0),
        func.coalesce(func.sum(_drawn(EntryKind.REVERSE)), 0),
        func.coalesce(func.sum(LoyaltyEntry.amount), 0),
    ]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(conn: Connection, book: Book) -> Summary:
    """Return the programme's totals, liability and rates."""
    issued, redeemed, expired, reversed_, outstanding = (
        int(v)
        for v in conn.execute(select(*_sums()).where(LoyaltyEntry.programme_id == book.id)).one()
    )
    members = conn.execute(
        select(func.count()).where(LoyaltyAccount.programme_id == book.id)
    ).scalar_one()
    value = (Decimal(outstanding) * book.programme.unit_value).quantize(Decimal("0.01"))
    return Summary(
        int(members),
        issued,
        redeemed,
        expired,
        reversed_,
        outstanding,
        value,
        _rate(redeemed, issued),
        _rate(expired, issued),
    )


def monthly(conn: Connection, book: Book) -> list[dict[str, Any]]:
    """Return issued, redeemed and expired per month (UTC), oldest first."""
    month = _month(conn)
    rows = conn.execute(
        select(month, *_sums()[:3])
        .where(LoyaltyEntry.programme_id == book.id)
        .group_by(month)
        .order_by(month)
    ).all()
    return [
        {"month": str(m), "issued": int(i), "redeemed": int(r), "expired": int(e)}
        for m, i, r, e in rows
    ]


def by_tier(conn: Connection, book: Book, members: int) -> list[dict[str, Any]]:
    """Return members per tier, lowest first, and those in none (key None)."""
    held = tier_repository.tiers_of(conn, book.id)
    levels = book.programme.tiers.levels if book.programme.tiers else []
    counted = {t.key: 0 for t in levels}
    for tier in held.values():
        if tier in counted:
            counted[tier] += 1
    counts: list[dict[str, Any]] = [
        {"tier": t.key, "name": t.name, "name_zh": t.name_zh, "members": counted[t.key]}
        for t in levels
    ]
    tiered = sum(counted.values())
    return [{"tier": None, "name": None, "name_zh": None, "members": members - tiered}, *counts]


def top_earners(conn: Connection, book: Book, limit: int = TOP) -> list[dict[str, Any]]:
    """Return the members who earned most (earn entries, gross), with what they hold now."""
    earned = func.sum(
        case((LoyaltyEntry.kind == EntryKind.EARN.value, LoyaltyEntry.amount), else_=0)
    )
    rows = conn.execute(
        select(
            LoyaltyAccount.customer_id,
            Customer.name,
            Customer.external_id,
            earned.label("earned"),
            func.sum(LoyaltyEntry.amount).label("balance"),
        )
        .join(LoyaltyEntry, LoyaltyEntry.account_id == LoyaltyAccount.id)
        .join(Customer, Customer.id == LoyaltyAccount.customer_id)
        .where(LoyaltyAccount.programme_id == book.id)
        .group_by(LoyaltyAccount.customer_id, Customer.name, Customer.external_id)
        .order_by(earned.desc(), LoyaltyAccount.customer_id)
        .limit(limit)
    ).all()
    return [
        {"customer_id": int(c), "name": n or x, "earned": int(e), "balance": int(b)}
        for c, n, x, e, b in rows
    ]


def progress(
    conn: Connection, book: Book, tiers: Tiers, customer_id: int, now: datetime
) -> dict[str, Any]:
    """Return the member's tier, their metric and the next level's threshold (if any)."""
    zone = book.programme.timezone
    day = now.astimezone(ZoneInfo(zone)).date()
    values = tier_repository.metrics(
        conn,
        book.id,
        tiers.metric,
        window_start(tiers, day, zone),
        end_of_day(day, zone),
        customer_id=customer_id,
    )
    value = values.get(customer_id, Decimal(0))
    tier = tier_repository.tiers_of_customer(conn, book.id, customer_id)
    above = [t for t in tiers.levels[tiers.index(tier) + 1 :] if t.enter > value]
    nxt = above[0] if above else None
    return {
        "tier": tier,
        "metric": tiers.metric.value,
        "value": value,
        "next": None if nxt is None else nxt.key,
        "next_at": None if nxt is None else nxt.enter,
        "to_go": None if nxt is None else nxt.enter - value,
        "share": None if nxt is None else float(min(value / nxt.enter, Decimal(1))),
    }


def card(conn: Connection, key: str, customer_id: int, now: datetime) -> dict[str, Any] | None:
    """Return a member's loyalty card for the customer 360 (None: not a member)."""
    book = service.book(conn, key)
    account = repo.account_of(conn, book.id, customer_id)
    if account is None:
        return None
    balance = service.balance(conn, book, customer_id, now)
    soon = now + timedelta(days=SOON_DAYS)
    expiring = [
        {"amount": lot.remaining, "expires_at": lot.expires_at}
        for lot in repo.lots(conn, account)
        if lot.expires_at is not None and now < lot.expires_at <= soon
    ]
    tiers = book.programme.tiers
    return {
        "programme": key,
        "name": book.programme.name,
        "name_zh": book.programme.name_zh,
        "programme_def": book.programme,
        "balance": balance,
        "progress": None if tiers is None else progress(conn, book, tiers, customer_id, now),
        "tiers": {} if tiers is None else {t.key: t for t in tiers.levels},
        "expiring": expiring,
        "recent": service.statement(conn, book, customer_id, limit=RECENT),
        "history": tier_repository.history(conn, book.id, customer_id),
        "code": None
        if book.programme.referral is None
        else referral_repository.code_of(conn, book.id, customer_id),
        "referrals": []
        if book.programme.referral is None
        else referral_repository.listing(conn, book.id, referrer_id=customer_id),
    }


def cards(conn: Connection, customer_id: int, now: datetime) -> list[dict[str, Any]]:
    """Return the customer's card in each programme they are a member of."""
    found = (card(conn, key, customer_id, now) for key in repo.programme_keys(conn))
    return [c for c in found if c is not None]
