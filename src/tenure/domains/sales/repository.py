"""The queries behind a salesperson's day: their hot leads, leads cooling, a lead's activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event, SystemEventType
from tenure.domains.scoring import views
from tenure.storage.rows import plain_rows

SYSTEM_TYPES = [t.value for t in SystemEventType]


def _last_activity() -> Any:
    """Select the lead's latest own event (a visit, a click — not one Tenure wrote), per row."""
    own = aliased(Event)  # the outer query may read events too (a band's change)
    return (
        select(func.max(own.occurred_at))
        .where(own.customer_id == Customer.id, own.type.not_in(SYSTEM_TYPES))
        .correlate(Customer)
        .scalar_subquery()
    )


def leads_of(
    conn: Connection, owner_id: int, bands: tuple[str, ...], limit: int
) -> list[dict[str, Any]]:
    """Return the owner's potential customers in ``bands``, the highest lead score first."""
    stages, scores = views.customer_stages, views.customer_scores
    query = (
        select(
            Customer.id,
            Customer.external_id,
            Customer.name,
            Customer.company,
            Customer.email,
            scores.c.lead_score,
            scores.c.lead_band,
            scores.c.lead_conversion,
            _last_activity().label("last_activity"),
        )
        .join(stages, stages.c.customer_id == Customer.id)
        .join(scores, scores.c.customer_id == Customer.id)
        .where(
            Customer.owner_id == owner_id,
            stages.c.stage == "potential",
            scores.c.lead_band.in_(bands),
        )
        .order_by(scores.c.lead_score.desc(), Customer.id)
        .limit(limit)
    )
    return plain_rows(conn.execute(query).mappings())


def band_drops(conn: Connection, owner_id: int, since: datetime) -> list[dict[str, Any]]:
    """Return the lead-band changes of the owner's potential customers since ``since``.

    Newest first; each with the customer, when, and the band before and after. Which changes
    are drops is the caller's rule (the properties are JSON, read here as they are).
    """
    stages, scores = views.customer_stages, views.customer_scores
    query = (
        select(
            Customer.id,
            Customer.external_id,
            Customer.name,
            Customer.company,
            scores.c.lead_score,
            scores.c.lead_band,
            scores.c.lead_conversion,
            Event.occurred_at,
            Event.properties,
            _last_activity().label("last_activity"),
        )
        .join(Event, Event.customer_id == Customer.id)
        .join(stages, stages.c.customer_id == Customer.id)
        .outerjoin(scores, scores.c.customer_id == Customer.id)
        .where(
            Customer.owner_id == owner_id,
            stages.c.stage == "potential",
            Event.type == SystemEventType.SCORE_CROSSED.value,
            Event.occurred_at >= since,
        )
        .order_by(Event.occurred_at.desc(), Event.id.desc())
    )
    return plain_rows(conn.execute(query).mappings())


def activity_by_type(conn: Connection, customer_id: int, since: datetime) -> dict[str, int]:
    """Count the customer's own events since ``since`` by type, the most frequent first."""
    rows = conn.execute(
        select(Event.type, func.count())
        .where(
            Event.customer_id == customer_id,
            Event.occurred_at >= since,
            Event.type.not_in(SYSTEM_TYPES),
        )
        .group_by(Event.type)
        .order_by(func.count().desc(), Event.type)
    )
    return {str(kind): int(n) for kind, n in rows}


def last_activity(conn: Connection, customer_id: int) -> datetime | None:
    """Return when the customer last did something themselves (None: never)."""
    found = conn.execute(
        select(func.max(Event.occurred_at)).where(
            Event.customer_id == customer_id, Event.type.not_in(SYSTEM_TYPES)
        )
    ).scalar_one()
    return found if isinstance(found, datetime) else None
