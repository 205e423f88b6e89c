"""Take in events another system streams (a shop, an app): in batches, idempotent by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.audit import service as audit
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event, EventSource
from tenure.domains.events.schemas import IncomingEvent, IngestResult
from tenure.kit.timeutil import as_utc
from tenure.storage.base import table_of
from tenure.storage.upsert import insert_new

MAX_BATCH = 1000


# why an event of a batch is refused (in 中文 too: kit/error_words.py)
UNKNOWN_CUSTOMER = (
    "customer: no customer with external id {customer}; create it first (POST /api/v1/customers)"
)


def ingest(conn: Connection, actor: audit.Actor, batch: Sequence[IncomingEvent]) -> IngestResult:
    """Store the batch's new events; skip ids seen before; refuse events of unknown customers.

    A refused event is reported by its position in the batch and does not stop the others,
    so the sender can fix and resend just those.
    """
    wanted = {e.customer for e in batch}
    known = dict(
        conn.execute(
            select(Customer.external_id, Customer.id).where(Customer.external_id.in_(wanted))
        ).all()
    )
    rows: dict[str, dict[str, Any]] = {}
    rejected: list[dict[str, Any]] = []
    for index, event in enumerate(batch):
        if event.customer not in known:
            rejected.append(
                {
                    "index": index,
                    "id": event.id,
                    "field": "customer",
                    "error": UNKNOWN_CUSTOMER.format(customer=repr(event.customer)),
                }
            )
            continue
        rows.setdefault(  # the first of repeated ids within one batch wins
            event.id,
            {
                "external_id": event.id,
                "customer_id": known[event.customer],
                "type": event.type,
                "occurred_at": as_utc(event.occurred_at),
                "properties": event.properties,
                "source": EventSource.API.value,
            },
        )
    accepted = insert_new(conn, table_of(Event), list(rows.values()), "external_id")
    duplicates = len(batch) - len(rejected) - accepted
    if accepted:
        audit.record(
            conn,
            actor,
            "events.ingest",
            "events",
            None,
            after={"accepted": accepted, "duplicates": duplicates, "rejected": len(rejected)},
        )
    return IngestResult(accepted=accepted, duplicates=duplicates, rejected=rejected)
