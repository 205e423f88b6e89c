"""Prove the ledger adds up, account by account, from two independent derivations.

    balance   = Σ entries                                     (the ledger's sum)
    lots view = Σ (lot − allocated from it) − Σ (draw − allocated to it)

They agree only if every allocation joins a lot and a draw of the same account. Also checked:
no lot gives more than it holds, no draw is covered beyond its amount, and only a reversal
may be left owing (a redemption, an expiry or an adjustment is always covered in full).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from tenure.domains.loyalty.models import (
    EntryKind,
    LoyaltyAccount,
    LoyaltyAllocation,
    LoyaltyEntry,
)


@dataclass
class Report:
    """What the check found: accounts checked, the ledger's total, and every problem."""

    accounts: int = 0
    total: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the ledger adds up everywhere."""
        return not self.problems


def _sums(conn: Connection, programme_id: int) -> dict[int, int]:
    rows = conn.execute(
        select(LoyaltyEntry.account_id, func.sum(LoyaltyEntry.amount))
        .where(LoyaltyEntry.programme_id == programme_id)
        .group_by(LoyaltyEntry.account_id)
    )
    return {int(a): int(s) for a, s in rows}


def _allocated(conn: Connection, programme_id: int, side: str) -> dict[int, int]:
    column = LoyaltyAllocation.lot_id if side == "lot" else LoyaltyAllocation.draw_id
    rows = conn.execute(
        select(column, func.sum(LoyaltyAllocation.amount))
        .join(LoyaltyEntry, LoyaltyEntry.id == column)
        .where(LoyaltyEntry.programme_id == programme_id)
        .group_by(column)
    )
    return {int(i): int(s) for i, s in rows}


def check(conn: Connection, programme_id: int) -> Report:
    """Check every account of the programme; the report lists each problem found."""
    report = Report()
    sums = _sums(conn, programme_id)
    from_lots = _allocated(conn, programme_id, "lot")
    to_draws = _allocated(conn, programme_id, "draw")
    view: dict[int, int] = defaultdict(int)
    rows = conn.execute(
        select(
            LoyaltyEntry.id, LoyaltyEntry.account_id, LoyaltyEntry.kind, LoyaltyEntry.amount
        ).where(LoyaltyEntry.programme_id == programme_id)
    )
    for entry_id, account, kind, amount in rows:
        if amount > 0:
            left = amount - from_lots.get(entry_id, 0)
            if left < 0:
                report.problems.append(f"entry {entry_id}: lot gave {-left} more than it held")
            if entry_id in to_draws:
                report.problems.append(f"entry {entry_id}: a lot is allocated as a draw")
            view[account] += left
        else:
            owed = -amount - to_draws.get(entry_id, 0)
            if owed < 0:
                report.problems.append(f"entry {entry_id}: draw covered {-owed} beyond its amount")
            if owed > 0 and kind != EntryKind.REVERSE.value:
                report.problems.append(f"entry {entry_id}: a {kind} is not covered by lots")
            if entry_id in from_lots:
                report.problems.append(f"entry {entry_id}: a draw is allocated as a lot")
            view[account] -= owed
    _check_crossings(conn, programme_id, report)
    accounts = conn.scalars(
        select(LoyaltyAccount.id).where(LoyaltyAccount.programme_id == programme_id)
    ).all()
    for account in accounts:
        if sums.get(account, 0) != view.get(account, 0):
            report.problems.append(
                f"account {account}: Σ entries {sums.get(account, 0)} "
                f"≠ lots less owed {view.get(account, 0)}"
            )
    report.accounts = len(accounts)
    report.total = sum(sums.values())
    return report


def _check_crossings(conn: Connection, programme_id: int, report: Report) -> None:
    lot, draw = aliased(LoyaltyEntry), aliased(LoyaltyEntry)
    crossing = conn.execute(
        select(LoyaltyAllocation.id)
        .join(lot, lot.id == LoyaltyAllocation.lot_id)
        .join(draw, draw.id == LoyaltyAllocation.draw_id)
        .where(draw.programme_id == programme_id, lot.account_id != draw.account_id)
    ).scalars()
    for allocation in crossing:
        report.problems.append(f"allocation {allocation}: joins two accounts")
