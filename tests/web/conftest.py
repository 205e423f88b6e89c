"""A scored demo store, its people with known passwords, and a way to sign them in."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.automation import service
from tenure.domains.automation.loading import read
from tenure.domains.automation.presets import FOLDER
from tenure.domains.customers.models import Customer
from tenure.domains.registry import metadata
from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.domains.users.models import Role
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import make_engine, write_transaction
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tests import journeys

END = date(2026, 3, 31)
PASSWORD = "correct horse battery"  # noqa: S105  (a test account's)


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """500 demo customers scored as of 2026-03-31, and one user of each role (role@web.test)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}")
    upgrade(engine)
    data = generate(DemoConfig(customers=500, seed=2, end=END))
    with engine.begin() as conn:
        load_into_store(conn, data, datetime(2026, 4, 1, tzinfo=UTC))
    for day in (END - timedelta(days=30), END):  # two runs: the overview shows the flow
        with engine.begin() as conn:
            run_scoring(conn, day, Settings())
    with engine.begin() as conn:
        for role in Role:
            email = f"{role.value}@web.test"
            users.create_user(conn, f"{role.value.title()} Tester", email, role.value)
            users.set_password(conn, email, PASSWORD)
    return engine


def sign_in(client: TestClient, role: str, email: str | None = None) -> str:
    """Sign ``client`` in as the user of ``role`` (or ``email``); return the session's CSRF."""
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={
            "email": email or f"{role}@web.test",
            "password": PASSWORD,
            "csrf": token[1],
            "next": "/",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/customers")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf[1]


@pytest.fixture
def app_client(demo_engine: Engine) -> TestClient:
    """A browser-like client of the app (cookies kept), signed in as nobody yet."""
    return TestClient(create_app(demo_engine, Settings()))


def chart_option(page: str, key: str) -> dict[str, Any]:
    """Return the ECharts option of the chart ``key`` drawn on ``page`` (its HTML)."""
    found = re.search(rf"id=\"chart-{key}\" data-option='([^']*)'", page)
    assert found is not None, f"no chart {key} on the page"
    return dict(json.loads(html.unescape(found[1])))


class _Table(HTMLParser):
    """Collect the text of each body cell of the table with a given id."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.in_body, self.cell = table_id, False, False, False
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.cell = False
        elif tag == "table" and self.inside:
            self.inside = self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.cell:
            self.rows[-1][-1] += data


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """Return the text of every body cell of the table ``table_id`` on ``page``, row by row."""
    parser = _Table(table_id)
    parser.feed(page)
    return [[cell.strip() for cell in row] for row in parser.rows]


def owned_customer(engine: Engine, owner_email: str = "sales@web.test") -> int:
    """Return a customer made to belong to the user with ``owner_email``."""
    t = metadata().tables
    with write_transaction(engine) as conn:
        owner = conn.execute(select(t["users"].c.id).where(t["users"].c.email == owner_email))
        owner_id = owner.scalar_one()
        customer_id = conn.execute(
            select(t["customers"].c.id).order_by(t["customers"].c.id).limit(1)
        ).scalar_one()
        conn.execute(
            update(t["customers"])
            .where(t["customers"].c.id == customer_id)
            .values(owner_id=owner_id)
        )
    return int(customer_id)


JOURNEY = "web-save"  # the playbook customers go through in the web tests (tests/journeys.py)


@pytest.fixture(scope="session")
def journeys_store(demo_engine: Engine) -> dict[str, Any]:
    """The demo store with playbooks: ``web-save`` with five customers on their way through it
    (two past its wait, three waiting), and the shipped win-back, paused."""
    with write_transaction(demo_engine) as conn:
        service.apply(conn, journeys.PERSON, [read(FOLDER / "win-back.yaml")], paused=True)
    journeys.publish(demo_engine, JOURNEY)
    with demo_engine.connect() as conn:
        ids = [
            int(i)
            for i in conn.execute(
                select(Customer.id).order_by(Customer.id.desc()).limit(5)
            ).scalars()
        ]
    now = utcnow()
    journeys.decline(demo_engine, ids[:2], now - timedelta(days=3), "web-early")
    journeys.tick(demo_engine, now - timedelta(days=3))
    journeys.decline(demo_engine, ids[2:], now, "web-late")
    journeys.tick(demo_engine, now)
    return {"name": JOURNEY, "customers": ids}
