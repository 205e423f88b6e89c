"""The 360's timeline beyond 50 entries ("Older", in place), its event types in both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from tenure.domains.registry import metadata
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine, write_transaction
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tests.web.conftest import PASSWORD, sign_in

START = datetime(2025, 6, 1, 9, tzinfo=UTC)
EVENTS = 83  # 50 on the page, 33 behind "Older"
ENTRY = re.compile(r'<li class="kind-(\w+)" data-entry="([^"]+)"')


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, int]:
    """A store with one customer and 83 events of known types, and an admin."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('tl') / 'tl.db'}")
    upgrade(engine)
    t = metadata().tables
    with write_transaction(engine) as conn:
        customer_id = conn.execute(
            insert(t["customers"])
            .values(external_id="tl-1", email="tl@example.com", acquired_at=START)
            .returning(t["customers"].c.id)
        ).scalar_one()
        conn.execute(
            insert(t["events"]),
            [
                {
                    "external_id": f"ev-{n}",
                    "customer_id": customer_id,
                    "occurred_at": START + timedelta(hours=n),
                    "type": ("login", "support_ticket", "email_click")[n % 3],
                }
                for n in range(EVENTS)
            ],
        )
        users.create_user(conn, "Admin Tester", "admin@web.test", "admin")
        users.set_password(conn, "admin@web.test", PASSWORD)
    return engine, int(customer_id)


def _entries(page: str) -> list[str]:
    return [entry for _, entry in ENTRY.findall(page)]


def test_older_brings_the_rest_of_the_timeline_in_order(
    store: tuple[Engine, int], tmp_path: Path
) -> None:
    engine, customer_id = store
    client = TestClient(create_app(engine, Settings()))
    sign_in(client, "admin")
    page = client.get(f"/customers/{customer_id}?lang=zh")
    assert page.status_code == 200
    first = _entries(page.text)
    newest_first = [f"event-ev-{n}" for n in reversed(range(EVENTS))]
    assert first == newest_first[:50]
    older = re.search(r'hx-get="(/customers/\d+/timeline\?offset=50)"', page.text)
    assert older is not None and "更早" in page.text
    rest = client.get(older[1])
    assert rest.status_code == 200
    assert _entries(rest.text) == newest_first[50:]
    assert "hx-get" not in rest.text  # nothing older: no link
    # without JavaScript the link shows the longer page itself
    everything = client.get(f"/customers/{customer_id}?shown=100")
    assert _entries(everything.text) == newest_first
    assert client.get(f"/customers/{customer_id}/timeline?offset=-1").status_code == 422
    assert client.get(f"/customers/{customer_id}?shown=0").status_code == 422


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ("登录", "支持工单", "点击邮件链接")),
        ("en", ("login", "support ticket", "email link clicked")),
    ],
)
def test_event_types_are_named_in_the_readers_language(
    store: tuple[Engine, int], lang: str, words: tuple[str, ...]
) -> None:
    engine, customer_id = store
    client = TestClient(create_app(engine, Settings()))
    sign_in(client, "admin")
    page = client.get(f"/customers/{customer_id}?lang={lang}").text
    shown = re.findall(r'data-type="(\w+)"[^>]*>.*?</span> ([^<]+?) <span', page)
    assert {text for _, text in shown} == set(words)
    if lang == "zh":
        assert "support_ticket" not in re.sub(r'data-[a-z]+="[^"]*"', "", page)
