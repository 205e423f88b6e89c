"""Which customers a caller may see: all, or those of some owners and nobody's (``[access]``).

The users domain works out the owners (``users.access.owners_of``); queries here and in the
other domains narrow by them. A customer out of reach is answered like an unknown id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select, true

from tenure.domains.customers.models import Customer
from tenure.kit.errors import NotFound

# the users whose customers are reached, besides the customers nobody owns; None: every one
Owners = frozenset[int] | None


def owned(owners: Owners) -> ColumnElement[bool]:
    """Return the condition on ``customers`` for the customers ``owners`` reach."""
    if owners is None:
        return true()
    return or_(Customer.owner_id.is_(None), Customer.owner_id.in_(sorted(owners)))


def visible(owners: Owners, customer_id: ColumnElement[int] | Any) -> ColumnElement[bool]:
    """Return the condition on a ``customer_id`` column for the customers ``owners`` reach."""
    if owners is None:
        return true()
    found: ColumnElement[bool] = customer_id.in_(select(Customer.id).where(owned(owners)))
    return found


def check_visible(conn: Connection, owners: Owners, customer_id: int) -> None:
    """Raise NotFound — the words of an unknown id — unless the customer is within reach."""
    if not reaches(conn, owners, customer_id):
        raise NotFound(f"no customer with id {customer_id}")


def reaches(conn: Connection, owners: Owners, customer_id: int) -> bool:
    """Tell whether the customer is within reach of ``owners`` (None: everyone is)."""
    if owners is None:
        return True
    found = conn.execute(
        select(Customer.id).where(Customer.id == customer_id, owned(owners))
    ).first()
    return found is not None
