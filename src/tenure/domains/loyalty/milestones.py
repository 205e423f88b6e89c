"""Milestones: one-time awards for members who reached something, found set-based each day.

* ``nth_order``: the member's n-th paid order — key ``milestone:<key>:<customer>``;
* ``spend``: paid orders adding up to ``amount`` — key ``milestone:<key>:<customer>``;
* ``anniversary``: a year (two, …) since the first paid order — key ``…:<customer>:<year>``;
* ``birthday``: the member's birthday — key ``…:<customer>:<year>``.

Anniversaries and birthdays count when the day fell in the last ``CATCH_UP`` days, so a
review missed for a few days still awards them; the key makes each award happen once.
Awards are spendable at once (no pending period) and dated at the end of the review's day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tenure.domains.loyalty import ledger
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty import tier_repository as queries
from tenure.domains.loyalty.definition import Milestone, MilestoneKind
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import EntryKind
from tenure.kit.timeutil import end_of_day

CATCH_UP = 7  # days


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year: the 28th
        return date(year, 2, 28)


def recent_yearly(start: date, day: date, *, after_first: bool) -> int | None:
    """Return the year whose ``start`` anniversary fell in the last CATCH_UP days, if one did.

    ``after_first`` leaves out the day itself in its own year (a first order is no
    anniversary; a birthday is, any year).
    """
    for year in (day.year, day.year - 1):
        when = _same_day(start, year)
        if when <= day < when + timedelta(days=CATCH_UP) and (not after_first or year > start.year):
            return year
    return None


def reached(conn: Connection, book: Book, rule: Milestone, day: date) -> dict[int, str]:
    """Return the members who reach ``rule`` as of ``day``, each with the award's key."""
    zone = book.programme.timezone
    end = end_of_day(day, zone)
    base = f"milestone:{rule.key}:"
    if rule.kind in (MilestoneKind.NTH_ORDER, MilestoneKind.SPEND):
        spend = rule.kind == MilestoneKind.SPEND
        line = rule.amount if spend else rule.n
        values = queries.order_counts(conn, book.id, end, spend=spend)
        return {c: f"{base}{c}" for c, v in values.items() if line is not None and v >= line}
    starts: dict[int, date]
    if rule.kind == MilestoneKind.ANNIVERSARY:
        local = ZoneInfo(zone)
        firsts = queries.first_orders(conn, book.id, end)
        starts = {c: at.astimezone(local).date() for c, at in firsts.items()}
    else:
        starts = queries.birthdays(conn, book.id)
    found = {}
    for customer, start in starts.items():
        year = recent_yearly(start, day, after_first=rule.kind == MilestoneKind.ANNIVERSARY)
        if year is not None:
            found[customer] = f"{base}{customer}:{year}"
    return found


def award_day(conn: Connection, book: Book, day: date) -> dict[str, int]:
    """Award every milestone reached as of ``day`` not awarded before; return counts by key."""
    done: dict[str, int] = {}
    at = end_of_day(day, book.programme.timezone)
    for rule in book.programme.milestones:
        due = reached(conn, book, rule, day)
        taken = queries.taken_keys(conn, book.id, f"milestone:{rule.key}:") if due else set()
        new = {c: k for c, k in due.items() if k not in taken}
        accounts = repo.ensure_accounts(conn, book.id, dict.fromkeys(new, at))
        repo.lock_accounts(conn, sorted(accounts[c] for c in new), at)
        rows: list[dict[str, Any]] = [
            {
                "programme_id": book.id,
                "account_id": accounts[c],
                "key": key,
                "kind": EntryKind.EARN.value,
                "amount": rule.points,
                "rule": rule.key,
                "recorded_at": at,
                **ledger.lot_values(book, at, pending=False),
            }
            for c, key in sorted(new.items())
        ]
        done[rule.key] = len(repo.insert_entries(conn, rows))
        for account in repo.owing_accounts(conn, sorted(accounts[c] for c in new)):
            ledger.settle(conn, account, at)
    return done
