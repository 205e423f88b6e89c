"""Tasks with a checklist and a required root cause, on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.audit import service as audit
from tenure.domains.automation.definition import TaskCompleted
from tenure.domains.automation.triggers import _task_completed
from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event
from tenure.domains.users.models import User


def test_a_task_that_asks_for_a_root_cause_is_completed_only_with_one(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    auth = {"Authorization": f"Bearer {tokens['csm']}"}
    with store.connect() as conn:
        customer_id = conn.execute(select(Customer.id).order_by(Customer.id).limit(1)).scalar_one()
        # the csm's own task: their role reaches their own and their team's ([access])
        csm_id = conn.execute(select(User.id).where(User.email == "csm@api.test")).scalar_one()
    made = client.post(
        "/api/v1/tasks",
        json={
            "customer_id": customer_id,
            "assignee_id": csm_id,
            "title": "Win them back",
            "checklist": ["Read the last tickets", "Call them"],
            "requires_root_cause": True,
        },
        headers=auth,
    )
    assert made.status_code == 201, made.text
    task = made.json()
    assert task["checklist"] == [
        {"text": "Read the last tickets", "done": False},
        {"text": "Call them", "done": False},
    ]
    url = f"/api/v1/tasks/{task['id']}"
    ticked = client.post(f"{url}/checklist/1", json={"done": True}, headers=auth)
    assert ticked.status_code == 200 and ticked.json()["checklist"][1]["done"] is True
    assert client.post(f"{url}/checklist/2", json={}, headers=auth).status_code == 422
    for body in ({"outcome": "Called"}, {"outcome": "Called", "root_cause": "weather"}):
        refused = client.post(f"{url}/complete", json=body, headers=auth)
        assert refused.status_code == 422 and "root_cause" in refused.json()["detail"], body
    done = client.post(
        f"{url}/complete", json={"outcome": "Called", "root_cause": "price"}, headers=auth
    )
    assert done.status_code == 200 and done.json()["root_cause"] == "price"
    with store.connect() as conn:
        props = conn.execute(
            select(Event.properties).where(Event.external_id == f"task:{task['id']}:completed")
        ).scalar_one()
        entries, _ = audit.entries(conn, entity="tasks", limit=50)
    assert props["root_cause"] == "price"
    mine = [e for e in entries if str(e["entity_id"]) == str(task["id"])]
    assert [e["action"] for e in mine[:2]] == ["task.complete", "task.check"]
    assert mine[0]["after"]["root_cause"] == "price"
    assert client.post(f"{url}/checklist/0", json={}, headers=auth).status_code == 409


def test_a_task_completed_trigger_filters_on_the_root_cause() -> None:
    rule = TaskCompleted(root_cause="price")
    assert _task_completed(rule, {"root_cause": "price", "outcome": "x"})
    assert not _task_completed(rule, {"root_cause": "service", "outcome": "x"})
    assert not _task_completed(rule, {"outcome": "x"})
    assert _task_completed(TaskCompleted(), {"outcome": "x"})
