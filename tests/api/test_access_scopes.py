"""Access scopes per role ([access]): own, team or all, on both databases (issue 13)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, update

from tenure.domains.customers.models import Customer
from tenure.domains.users import service as users
from tenure.domains.users.models import User
from tenure.kit.settings import AccessSettings, Settings
from tenure.web.app import create_app
from tests.api.conftest import ALL_SCOPES
from tests.factories import settle_password


def _user(conn: Connection, email: str) -> int:
    return int(conn.execute(select(User.id).where(User.email == email)).scalar_one())


def test_defaults_are_own_for_sales_team_for_csm_and_all_for_the_rest() -> None:
    access = AccessSettings()
    assert [access.scope_of(r) for r in ("admin", "manager", "marketing", "sales", "csm")] == [
        "all",
        "all",
        "all",
        "own",
        "team",
    ]
    assert access.scope_of("nobody") == "own"


def test_sales_change_only_their_own_customers_and_tasks_csm_their_teams(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    with store.begin() as conn:
        for email, role, team in (
            ("rep@scope.test", "sales", "east"),
            ("mate@scope.test", "csm", "east"),
            ("far@scope.test", "csm", "west"),
        ):
            users.create_user(conn, email, email, role, team=team)
            settle_password(conn, email)
        made = {
            email: users.create_token(conn, email, "t", ALL_SCOPES)[1]
            for email in ("rep@scope.test", "mate@scope.test", "far@scope.test")
        }
        rep, mate = _user(conn, "rep@scope.test"), _user(conn, "mate@scope.test")
        first, second, third = conn.execute(
            select(Customer.id).order_by(Customer.id.desc()).limit(3)
        ).scalars()
        conn.execute(update(Customer).where(Customer.id == first).values(owner_id=rep))
        conn.execute(update(Customer).where(Customer.id == second).values(owner_id=mate))
        conn.execute(update(Customer).where(Customer.id == third).values(owner_id=None))

    def auth(email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {made[email]}"}

    def patch(email: str, customer_id: int) -> int:
        answer = client.patch(
            f"/api/v1/customers/{customer_id}", json={"city": "Ningbo"}, headers=auth(email)
        )
        return answer.status_code

    assert patch("rep@scope.test", first) == 200  # own
    refused = client.patch(
        f"/api/v1/customers/{second}", json={"city": "Ningbo"}, headers=auth("rep@scope.test")
    )
    # a team-mate's, but sales reach only their own: out of reach is as if unknown
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"no customer with id {second}"
    assert patch("mate@scope.test", first) == 200  # csm: the team's
    assert patch("far@scope.test", first) == 404  # another team's
    assert patch("far@scope.test", third) == 200  # nobody's: anyone's to pick up
    assert patch("rep@scope.test", 987654) == 404
    assert (
        client.patch(
            f"/api/v1/customers/{second}",
            json={"city": "X"},
            headers={"Authorization": f"Bearer {tokens['manager']}"},
        ).status_code
        == 200
    )  # manager: all

    # tasks: the assignee's (or, unassigned, the customer owner's)
    task = client.post(
        "/api/v1/tasks",
        json={"customer_id": second, "title": "Call back"},
        headers=auth("mate@scope.test"),
    ).json()
    assert task["assignee_id"] == mate
    url = f"/api/v1/tasks/{task['id']}"
    assert client.patch(url, json={"notes": "x"}, headers=auth("rep@scope.test")).status_code == 403
    done = client.post(f"{url}/complete", json={"outcome": "y"}, headers=auth("far@scope.test"))
    assert done.status_code == 403 and "task" in done.json()["detail"]
    # the team-mate hands it to the salesperson, who may then complete it
    moved = client.patch(url, json={"assignee_id": rep}, headers=auth("mate@scope.test"))
    assert moved.status_code == 200
    done = client.post(f"{url}/complete", json={"outcome": "y"}, headers=auth("rep@scope.test"))
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_a_setting_widens_a_role(store: Engine) -> None:
    with store.begin() as conn:
        users.create_user(conn, "Wide", "wide@scope.test", "sales")
        settle_password(conn, "wide@scope.test")
        token = users.create_token(conn, "wide@scope.test", "t", ALL_SCOPES)[1]
        customer_id = conn.execute(
            select(Customer.id).where(Customer.owner_id.is_not(None)).limit(1)
        ).scalar_one()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"city": "Wuxi"}
    narrow = TestClient(create_app(store, Settings()))
    assert (
        narrow.patch(f"/api/v1/customers/{customer_id}", json=body, headers=headers).status_code
        == 404
    )
    wide = Settings()
    wide.access.sales = "all"
    client = TestClient(create_app(store, wide))
    assert (
        client.patch(f"/api/v1/customers/{customer_id}", json=body, headers=headers).status_code
        == 200
    )
