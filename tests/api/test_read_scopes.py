"""Two salespeople in different teams see only their own customers, route by route ([access]).

A customer out of reach is answered in the words of an unknown id; lists leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, or_, select, update

from tenure.domains.automation import service as playbooks
from tenure.domains.customers.models import Customer
from tenure.domains.messaging.models import Message
from tenure.domains.tasks import service as tasks
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.web.app import create_app
from tests import journeys, outbox
from tests.api.conftest import ALL_SCOPES
from tests.api.test_surveys import FORM
from tests.factories import settle_password

PLAYBOOK = "scope-reach"


@dataclass(frozen=True)
class Two:
    """East's and West's tokens, user ids and one customer each."""

    token: dict[str, str]
    user: dict[str, int]
    customer: dict[str, int]
    external: dict[str, str]
    message: dict[str, int]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token[who]}"}


@pytest.fixture(scope="module")
def two(store: Engine, tmp_path_factory: pytest.TempPathFactory) -> Two:
    filled = outbox.fill(store, "scope-mail", tmp_path_factory.mktemp("t"), skip=40)
    journeys.publish(store, PLAYBOOK)
    mine = {"east": filled.customer_ids[0], "west": filled.customer_ids[1]}
    token, user, external, message = {}, {}, {}, {}
    with store.begin() as conn:
        for who in ("east", "west"):
            email = f"{who}@reach.test"
            user[who], _ = users.create_user(conn, who, email, "sales", team=who)
            settle_password(conn, email)
            token[who] = users.create_token(conn, email, "t", ALL_SCOPES)[1]
            conn.execute(
                update(Customer).where(Customer.id == mine[who]).values(owner_id=user[who])
            )
            external[who] = conn.execute(
                select(Customer.external_id).where(Customer.id == mine[who])
            ).scalar_one()
            message[who] = conn.execute(
                select(func.min(Message.id)).where(Message.customer_id == mine[who])
            ).scalar_one()
            playbooks.enroll(conn, users.COMMAND_LINE, PLAYBOOK, external[who], utcnow())
    return Two(token, user, mine, external, message)


def _reachable(store: Engine, owner: int) -> set[int]:
    """The customers a salesperson reaches, counted straight from the store."""
    with store.connect() as conn:
        found = conn.execute(
            select(Customer.id).where(or_(Customer.owner_id.is_(None), Customer.owner_id == owner))
        ).scalars()
        return {int(i) for i in found}


def test_the_customer_list_and_the_360(client: TestClient, two: Two, store: Engine) -> None:
    east = two.auth("east")
    listed = client.get("/api/v1/customers", params={"limit": 500}, headers=east).json()
    assert listed["next"] is None
    ids = {int(c["id"]) for c in listed["items"]}
    assert ids == _reachable(store, two.user["east"])
    assert two.customer["east"] in ids and two.customer["west"] not in ids
    theirs = two.customer["west"]
    unknown = client.get("/api/v1/customers/987654", headers=east).json()["detail"]
    assert unknown == "no customer with id 987654"
    for tail in ("", "/orders", "/timeline", "/scores", "/stages"):
        answer = client.get(f"/api/v1/customers/{theirs}{tail}", headers=east)
        assert answer.status_code == 404, tail
        assert answer.json()["detail"] == f"no customer with id {theirs}"  # as if unknown
        assert client.get(f"/api/v1/customers/{theirs}{tail}", headers=two.auth("west")).is_success
    patched = client.patch(f"/api/v1/customers/{theirs}", json={"city": "X"}, headers=east)
    assert patched.status_code == 404


def test_messages_enrollments_and_tasks(client: TestClient, two: Two, store: Engine) -> None:
    east = two.auth("east")
    reach = _reachable(store, two.user["east"])
    outbox_page = client.get("/api/v1/messages", params={"limit": 500}, headers=east).json()
    seen = {int(m["customer_id"]) for m in outbox_page["items"]}
    assert two.customer["east"] in seen and two.customer["west"] not in seen
    assert seen <= reach
    with store.connect() as conn:
        expected = conn.execute(
            select(func.count()).select_from(Message).where(Message.customer_id.in_(reach))
        ).scalar_one()
    assert sum(outbox_page["counts"].values()) == expected
    theirs = client.get(f"/api/v1/messages/{two.message['west']}", headers=east)
    assert theirs.status_code == 404
    assert theirs.json()["detail"] == f"no message {two.message['west']}"
    assert client.get(f"/api/v1/messages/{two.message['east']}", headers=east).is_success

    enrolled = client.get(f"/api/v1/playbooks/{PLAYBOOK}/enrollments", headers=east).json()
    customers = {int(e["customer_id"]) for e in enrolled["items"]}
    assert two.customer["east"] in customers and two.customer["west"] not in customers

    with store.begin() as conn:
        task = tasks.create_task(
            conn,
            users.COMMAND_LINE,
            customer_id=two.customer["west"],
            title="West's call",
            assignee_id=two.user["west"],
        )
    listed = client.get(
        "/api/v1/tasks", params={"assignee": str(two.user["west"])}, headers=east
    ).json()
    assert task["id"] not in {t["id"] for t in listed["items"]}
    own = client.get("/api/v1/tasks", params={"assignee": "me"}, headers=two.auth("west")).json()
    assert task["id"] in {t["id"] for t in own["items"]}


def test_enrolling_a_customer_out_of_reach_is_refused_as_unknown(
    store: Engine, two: Two, tokens: dict[str, str]
) -> None:
    narrow = Settings()
    narrow.access.marketing = "own"  # marketing may enroll; owning nobody, it reaches no one's
    api = TestClient(create_app(store, narrow))
    auth = {"Authorization": f"Bearer {tokens['marketing']}"}
    url = f"/api/v1/playbooks/{PLAYBOOK}/enrollments"
    refused = api.post(url, json={"customer": two.external["west"]}, headers=auth)
    unknown = api.post(url, json={"customer": "nobody-at-all"}, headers=auth)
    assert refused.status_code == unknown.status_code == 422
    assert refused.json()["detail"] == (
        f"customer: no customer has the external id {two.external['west']!r}"
    )


def test_survey_answers_and_invitations(
    client: TestClient, two: Two, tokens: dict[str, str]
) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    assert client.put("/api/v1/surveys/reach-kiosk", json=FORM, headers=admin).is_success
    for who in ("east", "west"):
        answer = {
            "id": f"reach-{who}",
            "customer_external_id": two.external[who],
            "answers": {"stars": 4},
            "answered_at": "2026-03-30T10:00:00Z",
        }
        sent = client.post("/api/v1/surveys/reach-kiosk/answers", json=answer, headers=admin)
        assert sent.status_code in (200, 201), sent.text
        invited = client.post(
            "/api/v1/surveys/reach-kiosk/invitations",
            json={"customer_external_id": two.external[who], "key": f"reach-{who}"},
            headers=admin,
        )
        assert invited.status_code == 201, invited.text
    east = two.auth("east")
    answers = client.get("/api/v1/surveys/reach-kiosk/answers", headers=east).json()["items"]
    assert [a["customer_id"] for a in answers] == [two.customer["east"]]
    invited = client.get("/api/v1/surveys/reach-kiosk/invitations", headers=east).json()["items"]
    assert [i["customer_id"] for i in invited] == [two.customer["east"]]
    every = client.get("/api/v1/surveys/reach-kiosk/answers", headers=admin).json()["items"]
    assert {a["customer_id"] for a in every} == set(two.customer.values())
