"""Opening balances carried over from another system: one adjustment per member, once.

A CSV with ``customer`` (the external id) and ``amount`` (whole points, or money for a
cashback programme), optionally ``expires_at`` (an ISO date: the other system's expiry) and
``key`` (else ``opening:<customer>``, so importing the file again changes nothing).
Every row is checked before anything is written; a mistake names its row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from tenure.domains.audit import service as audit
from tenure.domains.loyalty import ledger
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import EntryKind
from tenure.kit.errors import InvalidInput
from tenure.kit.timeutil import start_of_day


@dataclass(frozen=True)
class Opening:
    """One checked row."""

    customer_id: int
    external_id: str
    amount: int
    expires_at: datetime | None
    key: str


def parse(conn: Connection, book: Book, text: str) -> list[Opening]:
    """Check every row of the CSV; ``InvalidInput`` lists each mistake with row and column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"customer", "amount"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(f"header: the file needs the column(s) {', '.join(sorted(missing))}")
    found, mistakes = [], []
    for number, row in enumerate(reader, start=2):
        external = (row.get("customer") or "").strip()
        customer = repo.customer_id_of(conn, external) if external else None
        if customer is None:
            mistakes.append(f"row {number}, customer: no customer {external!r}")
            continue
        try:
            amount = book.programme.to_units(row.get("amount") or "", "amount")
            if amount <= 0:
                raise InvalidInput("amount: an opening balance is more than 0")
            expires = (row.get("expires_at") or "").strip()
            expires_at = (
                start_of_day(date.fromisoformat(expires), book.programme.timezone)
                if expires
                else None
            )
        except (InvalidInput, ValueError) as exc:
            message = exc.message if isinstance(exc, InvalidInput) else f"expires_at: {exc}"
            mistakes.append(f"row {number}, {message}")
            continue
        key = (row.get("key") or "").strip() or f"opening:{external}"
        found.append(Opening(customer, external, amount, expires_at, key))
    if mistakes:
        raise InvalidInput("nothing was imported:\n" + "\n".join(mistakes[:50]))
    return found


def import_openings(
    conn: Connection, book: Book, rows: Sequence[Opening], at: datetime, actor: audit.Actor
) -> int:
    """Write each opening balance as an adjustment (audited); return how many were new."""
    written: list[tuple[object, dict[str, Any] | None, dict[str, Any] | None]] = []
    for row in rows:
        # a balance brought from another system makes its holder a member
        account = ledger.open_account(conn, book, row.customer_id, at, joins=True)
        lot = ledger.lot_values(book, at, pending=False)
        if row.expires_at is not None:
            lot["expires_at"] = row.expires_at
        values = {
            "key": row.key,
            "kind": EntryKind.ADJUST.value,
            "amount": row.amount,
            "reason": "opening balance",
            "user_id": actor.user_id,
            **lot,
        }
        posted = ledger.credit(conn, book, account, values, at)
        if posted.written:
            after = {"customer": row.external_id, "amount": row.amount, "key": row.key}
            written.append((posted.entry.id, None, after))
    audit.record_many(conn, actor, "loyalty.opening", "loyalty_entries", written)
    return len(written)
