"""The public unsubscribe page: GET asks, POST (or a mail client's one-click POST) unsubscribes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from tenure.domains.audit.models import AuditEntry
from tenure.domains.customers.models import Customer
from tenure.domains.messaging import service
from tenure.kit.settings import Settings
from tenure.web.app import create_app
from tests.factories import make_customer

SETTINGS = Settings()


@pytest.fixture
def customer(engine: Engine) -> Iterator[tuple[Engine, int]]:
    """A committed customer who consented to email."""
    with Session(engine) as session:
        made = make_customer(session)
        made.email_consent = True
        session.commit()
        customer_id = made.id
    yield engine, customer_id
    with engine.begin() as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.entity_id == str(customer_id)))
        conn.execute(delete(Customer).where(Customer.id == customer_id))


def _consent(engine: Engine, customer_id: int) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                select(Customer.email_consent).where(Customer.id == customer_id)
            ).scalar_one()
        )


def _audit(engine: Engine, customer_id: int) -> list[tuple[str, str, object, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.action, AuditEntry.via, AuditEntry.before, AuditEntry.after).where(
                AuditEntry.entity == "customer", AuditEntry.entity_id == str(customer_id)
            )
        )
        return [tuple(r) for r in rows]


def test_get_asks_then_post_unsubscribes_and_is_audited(customer: tuple[Engine, int]) -> None:
    engine, customer_id = customer
    client = TestClient(create_app(engine, SETTINGS))
    path = f"/unsubscribe/{service.unsubscribe_token(customer_id, SETTINGS)}"

    asked = client.get(path)  # no sign-in needed
    assert asked.status_code == 200
    assert "Unsubscribe from Tenure emails?" in asked.text
    assert f'action="{path}"' in asked.text
    assert _consent(engine, customer_id)  # looking changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert not _consent(engine, customer_id)
    assert _audit(engine, customer_id) == [
        ("unsubscribe", "web", {"email_consent": True}, {"email_consent": False})
    ]
    # a second click changes nothing and logs nothing more
    assert client.post(path).status_code == 200
    assert len(_audit(engine, customer_id)) == 1


def test_one_click_post_from_a_mail_client_in_chinese(customer: tuple[Engine, int]) -> None:
    engine, customer_id = customer
    client = TestClient(create_app(engine, SETTINGS))
    path = f"/unsubscribe/{service.unsubscribe_token(customer_id, SETTINGS)}"
    asked = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "退订Tenure的邮件？" in asked.text
    done = client.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "zh-CN",
        },
    )
    assert done.status_code == 200
    assert "您已退订" in done.text
    assert not _consent(engine, customer_id)


def test_a_forged_token_is_refused(customer: tuple[Engine, int]) -> None:
    engine, customer_id = customer
    client = TestClient(create_app(engine, SETTINGS))
    other = service.unsubscribe_token(customer_id + 1, SETTINGS).split(".")[1]
    forged = f"/unsubscribe/{customer_id}.{other}"
    assert client.get(forged).status_code == 404
    refused = client.post(forged)
    assert refused.status_code == 404
    assert "This unsubscribe link is not valid" in refused.text
    assert _consent(engine, customer_id)
    assert _audit(engine, customer_id) == []
