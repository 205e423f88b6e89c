"""Create, change and erase customers; every change goes to the audit log with before/after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tenure.domains.audit import service as audit
from tenure.domains.registry import metadata
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tenure.kit.timeutil import utcnow
from tenure.storage.rows import plain_row

# where a customer's rows live, children first: erasing a customer empties these
_OWNED = (
    "tasks",
    "segment_members",
    "score_history",
    "stage_history",
    "stage_transitions",
    "subscriptions",
    "survey_responses",
    "events",
)


def _t(name: str) -> Any:
    return metadata().tables[name]


def _tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    # trimmed, no empties, no repeats, in the order given
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


def _check_owner(conn: Connection, owner_id: int | None) -> None:
    if owner_id is None:
        return
    users = _t("users")
    if conn.execute(select(users.c.id).where(users.c.id == owner_id)).first() is None:
        raise InvalidInput(f"owner_id: no user with id {owner_id}")


def _row(conn: Connection, customer_id: int) -> dict[str, Any]:
    customers = _t("customers")
    row = conn.execute(select(customers).where(customers.c.id == customer_id)).mappings().first()
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    return plain_row(row)


def create_customer(conn: Connection, actor: audit.Actor, fields: dict[str, Any]) -> int:
    """Create a customer from checked fields (``NewCustomer.sent()``); return the new id."""
    customers = _t("customers")
    external_id = str(fields.get("external_id") or "").strip()
    if not external_id:
        raise InvalidInput("external_id: a customer needs the id your own systems know them by")
    taken = conn.execute(
        select(customers.c.id).where(customers.c.external_id == external_id)
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(f"external_id {external_id!r} belongs to customer {taken} already")
    _check_owner(conn, fields.get("owner_id"))
    now = utcnow()
    values = {**fields, "external_id": external_id, "tags": _tags(fields.get("tags"))}
    values = {k: v for k, v in values.items() if v is not None}
    customer_id = int(
        conn.execute(
            insert(customers)
            .values(**values, created_at=now, updated_at=now)
            .returning(customers.c.id)
        ).scalar_one()
    )
    audit.record(conn, actor, "customer.create", "customers", customer_id, after=values)
    return customer_id


def update_customer(
    conn: Connection, actor: audit.Actor, customer_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change the sent fields of a customer; return what changed as {field: [before, after]}."""
    if "external_id" in fields:
        raise InvalidInput("external_id: a customer's external id never changes")
    old = _row(conn, customer_id)
    if "owner_id" in fields:
        _check_owner(conn, fields["owner_id"])
    if "tags" in fields:
        fields = {**fields, "tags": _tags(fields["tags"])}
    before, after = audit.changed(old, fields)
    if after:
        customers = _t("customers")
        conn.execute(
            update(customers)
            .where(customers.c.id == customer_id)
            .values(**after, updated_at=utcnow())
        )
        audit.record(
            conn, actor, "customer.update", "customers", customer_id, before=before, after=after
        )
    return {k: [before[k], after[k]] for k in after}


def erase_customer(conn: Connection, actor: audit.Actor, customer_id: int) -> dict[str, int]:
    """Delete a customer and everything recorded about them; return rows removed per table.

    For a person's right to erasure: the audit log keeps only the external id, not the profile.
    """
    old = _row(conn, customer_id)
    removed: dict[str, int] = {}
    orders, lines = _t("orders"), _t("order_lines")
    their_orders = select(orders.c.id).where(orders.c.customer_id == customer_id)
    removed["order_lines"] = conn.execute(
        delete(lines).where(lines.c.order_id.in_(their_orders))
    ).rowcount
    removed["orders"] = conn.execute(
        delete(orders).where(orders.c.customer_id == customer_id)
    ).rowcount
    for name in _OWNED:
        table = _t(name)
        removed[name] = conn.execute(
            delete(table).where(table.c.customer_id == customer_id)
        ).rowcount
    customers = _t("customers")
    conn.execute(delete(customers).where(customers.c.id == customer_id))
    audit.record(
        conn,
        actor,
        "customer.erase",
        "customers",
        customer_id,
        before={"external_id": old["external_id"]},
        after={"removed": {k: v for k, v in removed.items() if v}},
    )
    return removed
