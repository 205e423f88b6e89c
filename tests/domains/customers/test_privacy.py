"""A person's rights: everything about them exported, and erasure that leaves no trace of
who they were — searched for in every column of every table — while the figures stay."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Connection, func, insert, select

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes, privacy
from tenure.domains.events.models import Event
from tenure.domains.messaging import service as messaging
from tenure.domains.orders.models import Order, OrderLine
from tenure.domains.registry import metadata
from tenure.domains.surveys.models import SurveyResponse
from tenure.domains.tasks import service as tasks
from tenure.domains.webhooks import service as webhooks
from tenure.kit.errors import Conflict, NotFound
from tenure.kit.settings import MessagingSettings, Settings

PERSON = Actor(None, "cli")
NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)
NAME = "Zoë Quist-Lindqvist"
EMAIL = "zoe.quist@privacy.test"
PHONE = "+46 70 123 4567"
SECRETS = (NAME, EMAIL, PHONE, "Quist", "ZQ-nick", "Kiruna")


def _person(conn: Connection) -> int:
    """A customer with something of her in every place Tenure keeps things."""
    customer_id = changes.create_customer(
        conn,
        PERSON,
        {
            "external_id": "Z-1",
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "company": "Quist AB",
            "city": "Kiruna",
            "tags": ["vip"],
            "attributes": {"nickname": "ZQ-nick"},
            "email_consent": True,
        },
    )
    changes.update_customer(conn, PERSON, customer_id, {"city": "Kiruna", "phone": PHONE + "9"})
    changes.update_customer(conn, PERSON, customer_id, {"phone": PHONE})
    order = conn.execute(
        insert(Order)
        .values(
            external_id="Z-order-1",
            customer_id=customer_id,
            ordered_at=NOW,
            amount=Decimal("120.50"),
        )
        .returning(Order.id)
    ).scalar_one()
    conn.execute(insert(OrderLine).values(order_id=order, line_no=1, product_name="Boots"))
    conn.execute(
        insert(Event).values(
            external_id="Z-e1",
            customer_id=customer_id,
            occurred_at=NOW,
            type="form_sent",
            properties={"email": EMAIL, "message": f"Hi, {NAME} here"},
        )
    )
    conn.execute(
        insert(SurveyResponse).values(
            customer_id=customer_id, score=3, comment=f"— {NAME}, Kiruna", answered_at=NOW
        )
    )
    task = tasks.create_task(
        conn, PERSON, customer_id=customer_id, title=f"Call {NAME}", notes=f"ring {PHONE}"
    )
    tasks.complete_task(conn, PERSON, task["id"], f"spoke to {NAME}")
    settings = Settings(
        messaging=MessagingSettings(send_window_start="00:00", send_window_end="00:00")
    )
    messaging.queue_email(
        conn,
        key="z-mail",
        customer_id=customer_id,
        template="win-back-offer",
        category="marketing",
        source="playbook:win-back",
        now=NOW,
        settings=settings,
    )
    webhooks.queue(
        conn,
        key="z-hook",
        url="https://hooks.example.com/in",
        event_type="playbook.step",
        payload={"customer": webhooks.customer_payload(conn, customer_id)},
        source="playbook:win-back",
        customer_id=customer_id,
        now=NOW,
        allow_private=False,
    )
    return customer_id


def _everything(conn: Connection) -> list[tuple[str, str]]:
    """Every row of every table as text (JSON both with and without escapes), with its table."""
    found = []
    for table in metadata().sorted_tables:
        for row in conn.execute(select(table)).mappings():
            values = {k: str(v) if not isinstance(v, dict | list) else v for k, v in row.items()}
            for text in (
                json.dumps(values, default=str),
                json.dumps(values, ensure_ascii=False, default=str),
            ):
                found.append((table.name, text))
    return found


def test_an_export_holds_everything_about_the_person(conn: Connection) -> None:
    customer_id = _person(conn)
    sections = privacy.export_person(conn, customer_id)
    assert sections["profile"][0]["email"] == EMAIL
    counts = {name: len(rows) for name, rows in sections.items()}
    assert counts["orders"] == counts["order_lines"] == 1
    assert {e["type"] for e in sections["events"]} == {"form_sent", "task_completed"}
    assert counts["surveys"] == counts["tasks"] == counts["messages"] == 1
    actions = [a["action"] for a in sections["audit"]]
    assert actions[:3] == ["customer.create", "customer.update", "customer.update"]
    assert "task.create" in actions and "task.complete" in actions
    packed = zipfile.ZipFile(io.BytesIO(privacy.person_zip(sections)))
    assert set(packed.namelist()) == {"person.json", *(f"{n}.csv" for n in sections)}
    whole = json.loads(packed.read("person.json"))
    assert whole["profile"][0]["name"] == NAME and whole["orders"][0]["amount"] == "120.50"
    profile_csv = packed.read("profile.csv").decode("utf-8")
    assert profile_csv.startswith("\ufeff") and NAME in profile_csv
    # a phone number starting with + is not run as a formula by a spreadsheet
    assert f"'{PHONE}" in profile_csv


def test_erasure_leaves_no_trace_of_the_person_and_keeps_the_figures(conn: Connection) -> None:
    customer_id = _person(conn)
    assert any(EMAIL in text for _, text in _everything(conn))  # the search finds her before
    paid = conn.execute(select(func.sum(Order.amount)).where(Order.customer_id == customer_id))
    before = paid.scalar_one()

    done = privacy.erase_customer(conn, PERSON, customer_id)

    assert done.removed == {"tasks": 1, "events": 2, "messages": 1, "webhook_deliveries": 1}
    assert done.emptied["survey_comments"] == 1 and done.emptied["audit_log"] >= 5
    traces = [
        (table, secret) for table, text in _everything(conn) for secret in SECRETS if secret in text
    ]
    assert traces == []
    # the figures stay: her order and its line, her NPS score, with an anonymous shell
    kept = conn.execute(select(func.sum(Order.amount)).where(Order.customer_id == customer_id))
    assert kept.scalar_one() == before
    assert conn.execute(select(SurveyResponse.score)).scalars().all() == [3]
    shell = privacy.export_person(conn, customer_id)["profile"][0]
    assert shell["external_id"] == f"erased-{customer_id}" and shell["erased_at"] is not None
    with pytest.raises(Conflict):
        privacy.erase_customer(conn, PERSON, customer_id)
    # her id in the user's systems is free again (a new person, not her)
    assert changes.create_customer(conn, PERSON, {"external_id": "Z-1"}) != customer_id


def test_an_unknown_customer_is_named(conn: Connection) -> None:
    with pytest.raises(NotFound, match="no customer has the external id 'nobody'"):
        privacy.customer_id_of(conn, "nobody")
    with pytest.raises(NotFound):
        privacy.erase_customer(conn, PERSON, 987654)
