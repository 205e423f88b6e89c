"""A task's checklist ticked on the page, and a root cause asked for when it is completed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.domains.audit import service as audit
from tenure.domains.audit.service import Actor
from tenure.domains.automation.definition import Trigger
from tenure.domains.tasks import service as tasks
from tenure.storage.engine import write_transaction
from tenure.web.i18n import Formatter, translations
from tenure.web.pages.playbooks import trigger_words
from tenure.web.render import Page, _gettext
from tests.web.conftest import owned_customer, sign_in


def test_ticking_the_checklist_and_completing_with_a_root_cause(
    app_client: TestClient, demo_engine: Engine
) -> None:
    customer = owned_customer(demo_engine)
    with write_transaction(demo_engine) as conn:
        task = tasks.create_task(
            conn,
            Actor(None, "cli"),
            customer_id=customer,
            title="Win back the customer",
            checklist=["Read their last tickets", "Call them"],
            requires_root_cause=True,
            source="playbook:win-back",
        )
    csrf = sign_in(app_client, "sales")
    page = app_client.get("/tasks").text
    card = page[page.index(f'id="task-{task["id"]}"') :]
    assert card.count('type="checkbox"') == 2 and '<select name="root_cause" required' in card
    zh = app_client.get("/tasks?lang=zh").text
    assert "产品" in zh and "服务" in zh and "价格" in zh and "其他" in zh
    htmx = {"HX-Request": "true"}
    ticked = app_client.post(
        f"/tasks/{task['id']}/checklist/0", data={"csrf": csrf, "done": "yes"}, headers=htmx
    )
    assert ticked.status_code == 200 and ticked.text.count("checked") == 1
    no_cause = app_client.post(
        f"/tasks/{task['id']}/complete", data={"csrf": csrf, "outcome": "Called"}
    )
    assert no_cause.status_code == 422 and "root_cause" in no_cause.text
    done = app_client.post(
        f"/tasks/{task['id']}/complete",
        data={"csrf": csrf, "outcome": "Called", "root_cause": "service"},
        headers=htmx,
    )
    assert done.status_code == 200 and "Root cause: Service" in done.text
    customer_page = app_client.get(f"/customers/{customer}").text
    assert "☑ Read their last tickets" in customer_page and "☐ Call them" in customer_page
    with demo_engine.connect() as conn:
        entries, _ = audit.entries(conn, entity="tasks", limit=50)
    mine = [e for e in entries if str(e["entity_id"]) == str(task["id"])]
    assert [(e["action"], e["via"]) for e in mine[:2]] == [
        ("task.complete", "web"),
        ("task.check", "web"),
    ]


def test_a_trigger_on_a_root_cause_reads_well_in_both_languages() -> None:
    trigger = Trigger.model_validate(
        {"task_completed": {"playbook": "win-back", "root_cause": "price"}}
    )
    said = {}
    for lang in ("en", "zh"):
        page = Page(lang, _gettext(translations(lang)), Formatter(lang, "USD"), str)
        said[lang] = trigger_words(trigger, page)
    assert said == {
        "en": "A task of win-back is completed · root cause: Price",
        "zh": "win-back 的任务完成 · 根本原因：价格",
    }
