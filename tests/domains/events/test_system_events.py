"""Tenure's own acts reach the feed: a completed task is an event with its outcome."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.audit.service import Actor
from tenure.domains.events.models import Event
from tenure.domains.tasks import service as tasks
from tests.factories import make_customer


def test_completing_a_task_puts_its_outcome_on_the_timeline(
    conn: Connection, session: Session
) -> None:
    customer = make_customer(session)
    person = Actor(None, "web")
    task = tasks.create_task(conn, person, customer_id=customer.id, title="Win-back call")
    tasks.complete_task(conn, person, task["id"], "Price: offered the yearly plan")
    [(kind, source, properties)] = conn.execute(
        select(Event.type, Event.source, Event.properties).where(Event.customer_id == customer.id)
    ).all()
    assert (kind, source) == ("task_completed", "person")
    assert properties["task_id"] == task["id"]
    assert properties["outcome"] == "Price: offered the yearly plan"
    assert properties["task_source"] == "person"
