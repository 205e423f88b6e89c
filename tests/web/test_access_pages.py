"""On the web too, sales change only their own customers and tasks ([access], issue 13)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tenure.domains.registry import metadata
from tenure.domains.tasks import service as tasks
from tenure.domains.users.service import COMMAND_LINE
from tenure.storage.engine import write_transaction
from tests.web.conftest import owned_customer, sign_in


def test_a_salesperson_edits_their_own_customer_but_not_a_colleagues(
    app_client: TestClient, demo_engine: Engine
) -> None:
    mine = owned_customer(demo_engine, "sales@web.test")
    t = metadata().tables
    with write_transaction(demo_engine) as conn:
        manager = conn.execute(
            select(t["users"].c.id).where(t["users"].c.email == "manager@web.test")
        ).scalar_one()
        theirs = conn.execute(
            select(t["customers"].c.id)
            .where(t["customers"].c.id != mine)
            .order_by(t["customers"].c.id)
            .limit(1)
        ).scalar_one()
        conn.execute(
            update(t["customers"]).where(t["customers"].c.id == theirs).values(owner_id=manager)
        )
        task = tasks.create_task(
            conn, COMMAND_LINE, customer_id=theirs, title="Manager's call", assignee_id=manager
        )
    csrf = sign_in(app_client, "sales")
    edit = {"tags": "vip", "timezone": "", "owner": "", "csrf": csrf}
    ok = app_client.post(f"/customers/{mine}/edit", data=edit, follow_redirects=False)
    assert ok.status_code == 303
    refused = app_client.post(f"/customers/{theirs}/edit", data=edit, follow_redirects=False)
    assert refused.status_code == 404 and f"no customer with id {theirs}" in refused.text
    done = app_client.post(f"/tasks/{task['id']}/complete", data={"outcome": "done", "csrf": csrf})
    assert done.status_code == 403 and "sales = own" in done.text
    with demo_engine.connect() as conn:
        status = conn.execute(
            select(t["tasks"].c.status).where(t["tasks"].c.id == task["id"])
        ).scalar_one()
        tags = conn.execute(
            select(t["customers"].c.tags).where(t["customers"].c.id == theirs)
        ).scalar_one()
    assert status == "open" and "vip" not in (tags or [])
