"""One customer's timeline, page by page: every entry once, newest first, ties in a fixed order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tenure.domains.customers.timeline import timeline
from tenure.domains.events.models import Event
from tenure.domains.registry import metadata
from tests.factories import make_customer, make_order

START = datetime(2025, 1, 1, 12, tzinfo=UTC)
metadata()  # every model known, so a customer's foreign keys resolve


def test_pages_of_the_timeline_hold_every_entry_once_newest_first(
    conn: Connection, session: Session
) -> None:
    customer = make_customer(session)
    # 90 events, two at each of 45 moments (ties across a page's edge), and 12 orders
    for n in range(90):
        session.add(
            Event(
                external_id=f"tl-{customer.id}-{n}",
                customer_id=customer.id,
                occurred_at=START + timedelta(hours=n // 2),
                type="login" if n % 3 else "support_ticket",
            )
        )
    for n in range(12):
        make_order(
            session, customer=customer, ordered_at=START + timedelta(hours=4 * n, minutes=30)
        )
    session.flush()
    pages = [timeline(conn, customer.id, 25, offset) for offset in (0, 25, 50, 75, 100)]
    assert [len(p) for p in pages] == [25, 25, 25, 25, 2]  # 102 entries in all
    seen = [(e["kind"], e["id"]) for page in pages for e in page]
    assert len(set(seen)) == 102
    events = {(e["kind"], e["id"]) for page in pages for e in page if e["kind"] == "event"}
    assert events == {("event", f"tl-{customer.id}-{n}") for n in range(90)}
    moments = [e["at"] for page in pages for e in page]
    assert moments == sorted(moments, reverse=True)
    # one long read is the pages laid end to end
    assert [(e["kind"], e["id"]) for e in timeline(conn, customer.id, 200)] == seen
    assert timeline(conn, customer.id, 25, 200) == []
