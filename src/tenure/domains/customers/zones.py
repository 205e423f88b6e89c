"""A customer's own time zone, falling back to the business's when they have none.

Quiet hours, send windows and "wait until Monday 9:00" steps are the customer's clock, not
the office's: a shop in UTC should not email Shanghai at 3 in the morning.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from tenure.domains.customers.models import Customer


def zone_of(conn: Connection, customer_id: int, default: str) -> str:
    """Return the customer's time zone, or ``default`` (the business zone) when unset."""
    found = conn.execute(
        select(Customer.timezone).where(Customer.id == customer_id)
    ).scalar_one_or_none()
    return found or default


def zones_of(conn: Connection, customer_ids: Iterable[int], default: str) -> dict[int, str]:
    """Return {customer id: time zone} for many customers at once (``default`` where unset)."""
    ids = sorted(set(customer_ids))
    zones = dict.fromkeys(ids, default)
    for start in range(0, len(ids), 1000):  # bounded IN lists
        chunk = ids[start : start + 1000]
        rows = conn.execute(
            select(Customer.id, Customer.timezone).where(
                Customer.id.in_(chunk), Customer.timezone.is_not(None)
            )
        )
        zones.update({int(i): str(z) for i, z in rows})
    return zones
