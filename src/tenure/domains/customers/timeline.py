"""One customer's timeline, newest first: orders, events, survey invitations and answers, tasks.

Tickets and complaints are events; the timeline is one list a person reads top to bottom.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.events.models import Event, SystemEventType
from tenure.domains.orders.models import Order
from tenure.domains.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tenure.domains.tasks.models import Task
from tenure.storage.rows import plain_rows

SYSTEM_TYPES = frozenset(kind.value for kind in SystemEventType)


def orders(conn: Connection, customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Return a customer's latest orders, newest first."""
    rows = conn.execute(
        select(
            Order.id,
            Order.external_id,
            Order.ordered_at,
            Order.status,
            Order.amount,
            Order.currency,
            Order.channel,
        )
        .where(Order.customer_id == customer_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    ).mappings()
    return plain_rows(rows)


def timeline(
    conn: Connection, customer_id: int, limit: int = 60, offset: int = 0
) -> list[dict[str, Any]]:
    """Return ``limit`` entries of the timeline, newest first, after skipping ``offset``.

    Each entry: {"at", "kind" (order, event, survey, invitation, task), "title", "detail",
    "id"}. Each
    kind is read newest first up to ``offset + limit`` and merged; ties keep a fixed order
    (kind, then newest id first), so page after page neither repeats nor skips an entry.
    """
    wanted = offset + limit
    return _merged(conn, customer_id, wanted)[offset:wanted]


def _merged(conn: Connection, customer_id: int, limit: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {
            "at": o["ordered_at"],
            "kind": "order",
            "title": o["status"],
            "detail": f"{o['currency']} {o['amount']:,.2f}",
            "id": o["external_id"],
        }
        for o in orders(conn, customer_id, limit)
    ]
    for row in conn.execute(
        select(Event.occurred_at, Event.type, Event.properties, Event.external_id)
        .where(Event.customer_id == customer_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    ):
        properties = row.properties or {}
        detail = ", ".join(f"{k}: {v}" for k, v in properties.items())
        entries.append(
            {
                "at": row.occurred_at,
                "kind": "event",
                "title": row.type,
                "detail": detail,
                "id": row.external_id,
                # Tenure's own events (a stage change, a task completed) are worded by the page
                "system": row.type if row.type in SYSTEM_TYPES else None,
                "properties": properties,
            }
        )
    for row in conn.execute(
        select(
            SurveyResponse.answered_at,
            SurveyResponse.survey,
            SurveyResponse.score,
            SurveyResponse.comment,
        )
        .where(SurveyResponse.customer_id == customer_id)
        .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
        .limit(limit)
    ):
        entries.append(
            {
                "at": row.answered_at,
                "kind": "survey",
                "title": row.survey,
                "detail": f"{row.score}/10" + (f" — {row.comment}" if row.comment else ""),
                "id": None,
            }
        )
    for row in conn.execute(
        select(
            SurveyInvitation.id,
            SurveyInvitation.created_at,
            Survey.key,
            SurveyInvitation.status,
            SurveyInvitation.reason,
            SurveyInvitation.answered_at,
        )
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(SurveyInvitation.customer_id == customer_id)
        .order_by(SurveyInvitation.created_at.desc(), SurveyInvitation.id.desc())
        .limit(limit)
    ):
        entries.append(
            {
                "at": row.created_at,
                "kind": "invitation",
                "title": row.key,
                # invited (answered or not yet), or skipped with the reason
                "detail": "answered" if row.answered_at is not None else (row.reason or row.status),
                "id": row.id,
            }
        )
    for row in conn.execute(
        select(Task.id, Task.created_at, Task.title, Task.status, Task.outcome)
        .where(Task.customer_id == customer_id)
        .order_by(Task.created_at.desc(), Task.id.desc())
        .limit(limit)
    ):
        entries.append(
            {
                "at": row.created_at,
                "kind": "task",
                "title": row.title,
                "detail": row.outcome or row.status,
                "id": row.id,
            }
        )
    entries.sort(key=lambda e: _sortable(e["at"]), reverse=True)  # stable: ties keep their order
    return entries[:limit]


def _sortable(moment: datetime) -> float:
    return moment.timestamp()
