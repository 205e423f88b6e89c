"""A person's rights over their data: a copy of everything about them, and erasure.

Erasure keeps the business's figures and removes the person. What identifies them goes:
the profile's fields (the row stays as an anonymous ``erased-<id>`` shell that still owns its
orders, scores and stages, so revenue, cohorts and stage counts do not change), their events,
tasks, email, webhook deliveries and survey comments (the scores stay), and the values in the
audit entries about them and their tasks (the entries stay: who did what, when — not what it
said). Orders hold no personal fields; they stay with the shell.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, cast, delete, or_, select, update

from tenure.domains.audit import service as audit
from tenure.domains.audit.models import AuditEntry
from tenure.domains.automation.models import Enrollment
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event
from tenure.domains.lifecycle.models import StageHistory, StageTransition
from tenure.domains.messaging.models import Message
from tenure.domains.orders.models import Order, OrderLine
from tenure.domains.scoring.models import ScoreHistory, ScoringRun
from tenure.domains.subscriptions.models import Subscription
from tenure.domains.surveys.models import SurveyResponse
from tenure.domains.tasks.models import Task
from tenure.domains.webhooks.models import WebhookDelivery
from tenure.kit import spreadsheet
from tenure.kit.errors import Conflict, NotFound
from tenure.kit.timeutil import utcnow
from tenure.storage.rows import plain_rows

ERASED = "[erased]"
# the profile's fields that say who the person is or where they live; erasure empties them
PERSONAL = (
    "name",
    "email",
    "phone",
    "company",
    "industry",
    "company_size",
    "region",
    "country",
    "city",
    "timezone",
    "birthday",
    "gender",
    "tags",
    "attributes",
)


def _customer(conn: Connection, customer_id: int) -> dict[str, Any]:
    found = _rows(conn, select(Customer.__table__).where(Customer.id == customer_id))
    if not found:
        raise NotFound(f"no customer with id {customer_id}")
    return found[0]


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return plain_rows(conn.execute(query).mappings())


def _audit_about(customer_id: int) -> Any:
    """Select the audit entries about the customer and their tasks (ids are kept as text)."""
    task_ids = select(cast(Task.id, String)).where(Task.customer_id == customer_id)
    return or_(
        (AuditEntry.entity.in_(("customers", "customer")))
        & (AuditEntry.entity_id == str(customer_id)),
        (AuditEntry.entity == "tasks") & AuditEntry.entity_id.in_(task_ids),
    )


def export_person(conn: Connection, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Return everything recorded about a customer, section by section (rows as dicts)."""
    profile = _customer(conn, customer_id)
    orders = select(Order.id).where(Order.customer_id == customer_id)
    return {
        "profile": [profile],
        "orders": _rows(conn, select(Order.__table__).where(Order.customer_id == customer_id)),
        "order_lines": _rows(
            conn, select(OrderLine.__table__).where(OrderLine.order_id.in_(orders))
        ),
        "events": _rows(
            conn,
            select(Event.__table__).where(Event.customer_id == customer_id).order_by(Event.id),
        ),
        "surveys": _rows(
            conn, select(SurveyResponse.__table__).where(SurveyResponse.customer_id == customer_id)
        ),
        "subscriptions": _rows(
            conn, select(Subscription.__table__).where(Subscription.customer_id == customer_id)
        ),
        "tasks": _rows(conn, select(Task.__table__).where(Task.customer_id == customer_id)),
        "scores": _rows(
            conn,
            select(ScoringRun.as_of, ScoreHistory.__table__)
            .join(ScoringRun, ScoringRun.id == ScoreHistory.run_id)
            .where(ScoreHistory.customer_id == customer_id)
            .order_by(ScoringRun.as_of),
        ),
        "stages": _rows(
            conn,
            select(ScoringRun.as_of, StageHistory.__table__)
            .join(ScoringRun, ScoringRun.id == StageHistory.run_id)
            .where(StageHistory.customer_id == customer_id)
            .order_by(ScoringRun.as_of),
        ),
        "stage_changes": _rows(
            conn,
            select(StageTransition.__table__).where(StageTransition.customer_id == customer_id),
        ),
        "playbooks": _rows(
            conn, select(Enrollment.__table__).where(Enrollment.customer_id == customer_id)
        ),
        "messages": _rows(
            conn, select(Message.__table__).where(Message.customer_id == customer_id)
        ),
        "audit": _rows(
            conn,
            select(AuditEntry.__table__).where(_audit_about(customer_id)).order_by(AuditEntry.id),
        ),
    }


def plain(value: Any) -> Any:
    """Turn a value of an exported row into JSON's kinds (dates as ISO text, money as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class Erased:
    """What an erasure did: rows removed and rows emptied, per table."""

    removed: dict[str, int]
    emptied: dict[str, int]


def _blank(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keep an audit entry's keys (what changed) and drop its values (what it said)."""
    return None if values is None else dict.fromkeys(values, ERASED)


def erase_customer(conn: Connection, actor: audit.Actor, customer_id: int) -> Erased:
    """Erase a person and keep the business's figures (see the module's docstring)."""
    found = _customer(conn, customer_id)
    if found.get("erased_at") is not None:
        raise Conflict(f"customer {customer_id} was erased already")
    emptied: dict[str, int] = {}
    entries = conn.execute(
        select(AuditEntry.id, AuditEntry.before, AuditEntry.after).where(_audit_about(customer_id))
    ).all()
    for entry_id, before, after in entries:
        conn.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry_id)
            .values(before=_blank(before), after=_blank(after))
        )
    emptied["audit_log"] = len(entries)
    removed = {
        "tasks": conn.execute(delete(Task).where(Task.customer_id == customer_id)).rowcount,
        "events": conn.execute(delete(Event).where(Event.customer_id == customer_id)).rowcount,
        "messages": conn.execute(
            delete(Message).where(Message.customer_id == customer_id)
        ).rowcount,
        "webhook_deliveries": conn.execute(
            delete(WebhookDelivery).where(WebhookDelivery.customer_id == customer_id)
        ).rowcount,
    }
    emptied["survey_comments"] = conn.execute(
        update(SurveyResponse)
        .where(SurveyResponse.customer_id == customer_id, SurveyResponse.comment.is_not(None))
        .values(comment=None)
    ).rowcount
    conn.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            external_id=f"erased-{customer_id}",
            owner_id=None,
            email_consent=False,
            sms_consent=False,
            erased_at=utcnow(),
            updated_at=utcnow(),
            **dict.fromkeys(PERSONAL),
        )
    )
    audit.record(
        conn,
        actor,
        "customer.erase",
        "customers",
        customer_id,
        after={"removed": removed, "emptied": emptied},
    )
    return Erased(removed, emptied)


def person_zip(sections: dict[str, list[dict[str, Any]]]) -> bytes:
    """Pack an export: ``person.json`` with every section, and ``<section>.csv`` for each."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        whole = {
            name: [{k: plain(v) for k, v in r.items()} for r in rows]
            for name, rows in sections.items()
        }
        archive.writestr("person.json", json.dumps(whole, ensure_ascii=False, indent=2))
        for name, rows in sections.items():
            text = io.StringIO()
            columns = list(dict.fromkeys(k for r in rows for k in r))
            writer = csv.writer(text)
            writer.writerow(columns)
            writer.writerows([spreadsheet.cell(plain(r.get(c))) for c in columns] for r in rows)
            archive.writestr(f"{name}.csv", spreadsheet.BOM + text.getvalue())
    return out.getvalue()


def customer_id_of(conn: Connection, external_id: str) -> int:
    """Return the id of the customer with ``external_id`` (a person's id in the user's systems)."""
    found = conn.execute(
        select(Customer.id).where(Customer.external_id == external_id.strip())
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"customer: no customer has the external id {external_id!r}")
    return int(found)
