"""Joining a programme: what makes a customer a member of an opt-in programme.

A member is a customer with an account. In an automatic programme a customer's first paid
order opens it; in an opt-in one only joining does (or an opening balance, or a referral's
reward), and orders earn from the moment of joining, never before. Joining twice keeps the
first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.ledger import Book
from tenure.kit.errors import NotFound


@dataclass(frozen=True)
class Joined:
    """A customer's membership: since when, and whether this call made it."""

    customer_id: int
    joined_at: datetime
    new: bool


def join(conn: Connection, book: Book, customer_id: int, at: datetime) -> Joined:
    """Make the customer a member from ``at`` (already one: nothing changes); 404 if unknown."""
    before = repo.joined_at(conn, book.id, customer_id)
    if before is not None:
        return Joined(customer_id, before, new=False)
    if not repo.customer_exists(conn, customer_id):
        raise NotFound(f"customer: no customer {customer_id}")
    repo.ensure_account(conn, book.id, customer_id, at)
    return Joined(customer_id, at, new=True)
