"""A task's checklist and root cause in the task service: ticks audited, completion refused
without a root cause when the task asks for one, the root cause in the task_completed event."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tenure.domains.audit import service as audit
from tenure.domains.events.models import Event
from tenure.domains.tasks import service as tasks
from tenure.kit.errors import Conflict, InvalidInput
from tests.factories import make_customer

PERSON = audit.Actor(None, "cli")


def _task(conn: Connection, session: Session, **extra: object) -> dict[str, object]:
    customer = make_customer(session)
    session.flush()
    return tasks.create_task(
        conn,
        PERSON,
        customer_id=customer.id,
        title="Win them back",
        checklist=["Read the tickets", " ", "Call them"],
        **extra,  # type: ignore[arg-type]
    )


def test_ticking_a_checklist_step_is_audited_and_kept(conn: Connection, session: Session) -> None:
    task = _task(conn, session)
    assert task["checklist"] == [  # a blank step is dropped
        {"text": "Read the tickets", "done": False},
        {"text": "Call them", "done": False},
    ]
    assert task["requires_root_cause"] is False and task["root_cause"] is None
    task_id = int(str(task["id"]))
    ticked = tasks.tick(conn, PERSON, task_id, 1, True)
    assert [i["done"] for i in ticked["checklist"]] == [False, True]
    again = tasks.tick(conn, PERSON, task_id, 1, True)  # no change: not audited twice
    assert again["checklist"] == ticked["checklist"]
    untick = tasks.tick(conn, PERSON, task_id, 1, False)
    assert [i["done"] for i in untick["checklist"]] == [False, False]
    entries, _ = audit.entries(conn, entity="tasks", limit=10)
    assert [e["action"] for e in entries[:3]] == ["task.uncheck", "task.check", "task.create"]
    with pytest.raises(InvalidInput, match="^item: "):
        tasks.tick(conn, PERSON, task_id, 2, True)
    done = tasks.complete_task(conn, PERSON, task_id, "Called")  # no root cause asked: none
    assert done["root_cause"] is None
    with pytest.raises(Conflict):
        tasks.tick(conn, PERSON, task_id, 0, True)


def test_a_task_that_asks_for_a_root_cause_needs_one(conn: Connection, session: Session) -> None:
    task = _task(conn, session, requires_root_cause=True)
    task_id = int(str(task["id"]))
    for cause in (None, "", "weather"):
        with pytest.raises(InvalidInput, match="^root_cause: "):
            tasks.complete_task(conn, PERSON, task_id, "Called", cause)
    assert tasks.get_task(conn, task_id)["status"] == "open"
    done = tasks.complete_task(conn, PERSON, task_id, "Called", "product")
    assert (done["status"], done["root_cause"]) == ("done", "product")
    props = conn.execute(
        select(Event.properties).where(Event.external_id == f"task:{task_id}:completed")
    ).scalar_one()
    assert props["root_cause"] == "product" and props["outcome"] == "Called"
    entries, _ = audit.entries(conn, entity="tasks", limit=1)
    assert entries[0]["action"] == "task.complete"
    assert entries[0]["after"]["root_cause"] == "product"
