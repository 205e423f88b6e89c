"""Create, change and erase customers; every change goes to the audit log with before/after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute

from tenure.domains.audit import service as audit
from tenure.domains.automation.models import Enrollment
from tenure.domains.crosssell.models import CustomerOffer, OfferDismissal
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event
from tenure.domains.lifecycle.models import StageHistory, StageTransition
from tenure.domains.messaging.models import Message
from tenure.domains.scoring.models import ScoreHistory
from tenure.domains.segments.models import SegmentMember
from tenure.domains.subscriptions.models import Subscription
from tenure.domains.surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tenure.domains.tasks.models import Task
from tenure.domains.users.models import User
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tenure.kit.timeutil import utcnow
from tenure.kit.zones import check_zone
from tenure.storage.base import Base
from tenure.storage.rows import plain_row

# where a customer's rows live, children first: erasing a customer empties these
_OWNED: tuple[tuple[type[Base], InstrumentedAttribute[int]], ...] = (
    (Task, Task.customer_id),
    (CustomerOffer, CustomerOffer.customer_id),
    (OfferDismissal, OfferDismissal.customer_id),
    (SegmentMember, SegmentMember.customer_id),
    (ScoreHistory, ScoreHistory.customer_id),
    (StageHistory, StageHistory.customer_id),
    (StageTransition, StageTransition.customer_id),
    (Subscription, Subscription.customer_id),
    (SurveyResponse, SurveyResponse.customer_id),
    (SurveyAnswer, SurveyAnswer.customer_id),
    (SurveyInvitation, SurveyInvitation.customer_id),  # before its message
    (Event, Event.customer_id),
    (Enrollment, Enrollment.customer_id),
    (Message, Message.customer_id),
)


def _tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    # trimmed, no empties, no repeats, in the order given
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


def _check_owner(conn: Connection, owner_id: int | None) -> None:
    if owner_id is None:
        return
    if conn.execute(select(User.id).where(User.id == owner_id)).first() is None:
        raise InvalidInput(f"owner_id: no user with id {owner_id}")


def _row(conn: Connection, customer_id: int) -> dict[str, Any]:
    row = (
        conn.execute(select(Customer.__table__).where(Customer.id == customer_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    return plain_row(row)


def create_customer(conn: Connection, actor: audit.Actor, fields: dict[str, Any]) -> int:
    """Create a customer from checked fields (``NewCustomer.sent()``); return the new id."""
    external_id = str(fields.get("external_id") or "").strip()
    if not external_id:
        raise InvalidInput("external_id: a customer needs the id your own systems know them by")
    taken = conn.execute(
        select(Customer.id).where(Customer.external_id == external_id)
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(f"external_id {external_id!r} belongs to customer {taken} already")
    _check_owner(conn, fields.get("owner_id"))
    now = utcnow()
    values = {**fields, "external_id": external_id, "tags": _tags(fields.get("tags"))}
    if "timezone" in fields:
        values["timezone"] = check_zone(fields["timezone"])
    values = {k: v for k, v in values.items() if v is not None}
    customer_id = int(
        conn.execute(
            insert(Customer).values(**values, created_at=now, updated_at=now).returning(Customer.id)
        ).scalar_one()
    )
    audit.record(conn, actor, "customer.create", "customers", customer_id, after=values)
    return customer_id


def update_customer(
    conn: Connection, actor: audit.Actor, customer_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change the sent fields of a customer; return what changed as {field: [before, after]}."""
    return update_customers(conn, actor, {customer_id: fields})[customer_id]


def update_customers(
    conn: Connection, actor: audit.Actor, fields_by_customer: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Change several customers at once (a playbook's batch); return each one's changes.

    The same checks and audit entries as one at a time, in a few statements for the lot:
    customers whose changes touch the same fields are updated by one executemany.
    """
    for fields in fields_by_customer.values():
        if "external_id" in fields:
            raise InvalidInput("external_id: a customer's external id never changes")
    olds = {
        int(row["id"]): plain_row(row)
        for row in conn.execute(
            select(Customer.__table__).where(Customer.id.in_(fields_by_customer))
        ).mappings()
    }
    for customer_id in fields_by_customer:
        if customer_id not in olds:
            raise NotFound(f"no customer with id {customer_id}")
    for owner_id in sorted(
        {f["owner_id"] for f in fields_by_customer.values() if f.get("owner_id") is not None}
    ):
        _check_owner(conn, owner_id)
    now = utcnow()
    done: dict[int, dict[str, Any]] = {}
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # by the fields changed
    audits: list[tuple[object, dict[str, Any] | None, dict[str, Any] | None]] = []
    for customer_id, fields in fields_by_customer.items():
        if "tags" in fields:
            fields = {**fields, "tags": _tags(fields["tags"])}
        if "timezone" in fields:  # a playbook's set_fields or a form: checked here too
            fields = {**fields, "timezone": check_zone(fields["timezone"])}
        before, after = audit.changed(olds[customer_id], fields)
        done[customer_id] = {k: [before[k], after[k]] for k in after}
        if after:
            by_fields.setdefault(tuple(sorted(after)), []).append(
                {**after, "_id": customer_id, "updated_at": now}
            )
            audits.append((customer_id, before, after))
    for params in by_fields.values():  # the SET clause comes from the parameters' keys
        conn.execute(update(Customer).where(Customer.id == bindparam("_id")), params)
    audit.record_many(conn, actor, "customer.update", "customers", audits)
    return done
