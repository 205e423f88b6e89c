"""One customer's timeline, newest first: orders, events, survey answers and tasks.

Tickets and complaints are events; the timeline is one list a person reads top to bottom.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.registry import metadata
from tenure.storage.rows import plain_rows


def _t(name: str) -> Any:
    return metadata().tables[name]


def orders(conn: Connection, customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Return a customer's latest orders, newest first."""
    table = _t("orders")
    rows = conn.execute(
        select(
            table.c.id,
            table.c.external_id,
            table.c.ordered_at,
            table.c.status,
            table.c.amount,
            table.c.currency,
            table.c.channel,
        )
        .where(table.c.customer_id == customer_id)
        .order_by(table.c.ordered_at.desc())
        .limit(limit)
    ).mappings()
    return plain_rows(rows)


def timeline(conn: Connection, customer_id: int, limit: int = 60) -> list[dict[str, Any]]:
    """Return up to ``limit`` of each kind's latest entries, merged newest first.

    Each entry: {"at", "kind" (order, event, survey, task), "title", "detail", "id"}.
    """
    events, surveys, tasks = _t("events"), _t("survey_responses"), _t("tasks")
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
        select(events.c.occurred_at, events.c.type, events.c.properties, events.c.external_id)
        .where(events.c.customer_id == customer_id)
        .order_by(events.c.occurred_at.desc())
        .limit(limit)
    ):
        detail = ", ".join(f"{k}: {v}" for k, v in (row.properties or {}).items())
        entries.append(
            {
                "at": row.occurred_at,
                "kind": "event",
                "title": row.type,
                "detail": detail,
                "id": row.external_id,
            }
        )
    for row in conn.execute(
        select(surveys.c.answered_at, surveys.c.survey, surveys.c.score, surveys.c.comment)
        .where(surveys.c.customer_id == customer_id)
        .order_by(surveys.c.answered_at.desc())
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
        select(tasks.c.id, tasks.c.created_at, tasks.c.title, tasks.c.status, tasks.c.outcome)
        .where(tasks.c.customer_id == customer_id)
        .order_by(tasks.c.created_at.desc())
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
    entries.sort(key=lambda e: _sortable(e["at"]), reverse=True)
    return entries[:limit]


def _sortable(moment: datetime) -> float:
    return moment.timestamp()
