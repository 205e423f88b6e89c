"""On the web, two salespeople in different teams see only their own customers ([access]).

The list, its CSV, the 360, the outbox and the stages page's moves; a customer out of reach
is "no customer with id N", as if it did not exist.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, or_, select, update

from tenure.domains.customers.models import Customer
from tenure.domains.lifecycle.models import StageTransition
from tenure.domains.messaging.models import Message
from tenure.domains.scoring.repository import latest_run
from tenure.domains.users import service as users
from tenure.storage.engine import write_transaction
from tests import outbox
from tests.web.conftest import PASSWORD, sign_in


@dataclass(frozen=True)
class Two:
    """East's and West's user ids, one customer each (West's moved stage in the last run)."""

    user: dict[str, int]
    customer: dict[str, int]
    message: dict[str, int]


@pytest.fixture(scope="module")
def two(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Two:
    filled = outbox.fill(demo_engine, "reach-mail", tmp_path_factory.mktemp("t"), skip=150)
    with write_transaction(demo_engine) as conn:
        run_id = latest_run(conn)
        moved = conn.execute(
            select(StageTransition.customer_id)
            .where(StageTransition.run_id == run_id)
            .order_by(StageTransition.id.desc())
            .limit(1)
        ).scalar_one()
        mine = {"east": filled.customer_ids[0], "west": int(moved)}
        user, message = {}, {}
        for who in ("east", "west"):
            email = f"{who}@reach.test"
            user[who], _ = users.create_user(conn, who, email, "sales", team=who)
            users.set_password(conn, email, PASSWORD)
            conn.execute(
                update(Customer).where(Customer.id == mine[who]).values(owner_id=user[who])
            )
        # West also owns the customer of another message
        written = {"east": mine["east"], "west": filled.customer_ids[1]}
        conn.execute(
            update(Customer).where(Customer.id == written["west"]).values(owner_id=user["west"])
        )
        for who in ("east", "west"):
            message[who] = conn.execute(
                select(func.min(Message.id)).where(Message.customer_id == written[who])
            ).scalar_one()
    return Two(user, mine, message)


def _reachable(engine: Engine, owner: int) -> set[int]:
    with engine.connect() as conn:
        found = conn.execute(
            select(Customer.id).where(or_(Customer.owner_id.is_(None), Customer.owner_id == owner))
        ).scalars()
        return {int(i) for i in found}


def _linked(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/customers/(\d+)"', page)}


def test_list_csv_and_360(app_client: TestClient, two: Two, demo_engine: Engine) -> None:
    sign_in(app_client, "sales", "east@reach.test")
    reach = _reachable(demo_engine, two.user["east"])
    listed = app_client.get("/customers").text
    shown = {int(i) for i in re.findall(r'<tr data-id="(\d+)"', listed)}
    assert shown and shown <= reach and two.customer["west"] not in shown
    exported = app_client.get("/customers.csv").text.lstrip("\ufeff")
    ids = {int(row["id"]) for row in csv.DictReader(io.StringIO(exported))}
    assert ids == reach  # every one within reach, no one else
    theirs = app_client.get(f"/customers/{two.customer['west']}")
    assert theirs.status_code == 404
    assert f"no customer with id {two.customer['west']}" in theirs.text
    assert app_client.get(f"/customers/{two.customer['east']}").status_code == 200
    older = app_client.get(f"/customers/{two.customer['west']}/timeline?offset=50")
    assert older.status_code == 404


def test_outbox_stage_moves_value_and_calls(
    app_client: TestClient, two: Two, demo_engine: Engine
) -> None:
    sign_in(app_client, "sales", "east@reach.test")
    reach = _reachable(demo_engine, two.user["east"])
    outbox_page = app_client.get("/messages").text
    assert _linked(outbox_page) <= reach and two.customer["east"] in _linked(outbox_page)
    west_message = app_client.get(f"/messages/{two.message['west']}")
    assert west_message.status_code == 404
    moves = _linked(app_client.get("/stages").text)
    assert moves <= reach and two.customer["west"] not in moves
    # the value page's top customers; West's call list is East's own, out of reach
    assert _linked(app_client.get("/value").text) <= reach
    calls = app_client.get(f"/calls?owner={two.user['west']}").text
    assert _linked(calls) <= reach and two.customer["west"] not in _linked(calls)
    west = TestClient(app_client.app)
    sign_in(west, "sales", "west@reach.test")
    assert two.customer["west"] in _linked(west.get("/stages").text)
    assert west.get(f"/messages/{two.message['west']}").status_code == 200
