"""The loyalty API's membership and KPI routes: joining an opt-in programme, the KPI report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tenure.domains.loyalty import membership, orders, programmes, service
from tenure.domains.loyalty.definition import Programme
from tenure.domains.loyalty.models import LoyaltyAccount
from tenure.domains.orders.models import Order
from tests.api.conftest import END

KEY = "kpi-stars"


def _programme(store: Engine) -> int:
    """An opt-in programme that every third buyer joined at their first order; its id."""
    with store.begin() as conn:
        programme = Programme.model_validate(
            {
                "key": KEY,
                "name": "Stars",
                "enrolment": "opt_in",
                "earn": [{"key": "base", "per_unit": 1}],
                "tiers": {"levels": [{"key": "silver", "name": "Silver", "enter": 100}]},
            }
        )
        programmes.apply(conn, programme, "test", datetime(2026, 4, 1, tzinfo=UTC))
        book = service.book(conn, KEY)
        firsts = conn.execute(
            select(Order.customer_id, func.min(Order.ordered_at))
            .where(Order.status == "paid")
            .group_by(Order.customer_id)
            .order_by(Order.customer_id)
        ).all()
        for customer_id, at in firsts[::3]:
            membership.join(conn, book, int(customer_id), at)
        orders.run(conn, book, datetime(2026, 4, 1, tzinfo=UTC))
        return book.id


def test_join_award_and_kpis(client: TestClient, tokens: dict[str, str], store: Engine) -> None:
    programme_id = _programme(store)
    auth = {"Authorization": f"Bearer {tokens['csm']}"}
    with store.connect() as conn:
        outsider = conn.scalar(
            select(func.min(Order.customer_id)).where(
                ~Order.customer_id.in_(
                    select(LoyaltyAccount.customer_id).where(
                        LoyaltyAccount.programme_id == programme_id
                    )
                )
            )
        )
        members = conn.scalar(
            select(func.count()).where(LoyaltyAccount.programme_id == programme_id)
        )
    url = f"/api/v1/customers/{outsider}/loyalty"
    award = {"programme": KEY, "amount": 10, "key": "kpi-1"}
    refused = client.post(url + "/awards", json=award, headers=auth)
    assert refused.status_code == 409 and "customer" in refused.json()["detail"]
    joined = client.post(url + "/membership", json={"programme": KEY}, headers=auth)
    assert joined.status_code == 200, joined.text
    assert joined.json()["joined"] is True
    again = client.post(url + "/membership", json={"programme": KEY}, headers=auth)
    assert again.json()["joined"] is False
    assert again.json()["joined_at"] == joined.json()["joined_at"]
    assert client.post(url + "/awards", json=award, headers=auth).status_code == 200
    bad = client.post(url + "/membership", json={"programme": KEY, "x": 1}, headers=auth)
    assert bad.status_code == 422 and "x" in bad.json()["detail"]
    nobody = client.post("/api/v1/customers/999999/loyalty/membership", json={}, headers=auth)
    assert nobody.status_code == 404 and "customer" in nobody.json()["detail"]

    as_of = (END + timedelta(days=1)).isoformat()
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    got = client.get(
        "/api/v1/loyalty/kpis", params={"programme": KEY, "as_of": as_of}, headers=viewer
    )
    assert got.status_code == 200, got.text
    [report] = got.json()["items"]
    # every member whose join day is by the as-of day is counted (the outsider joined today)
    assert report["matched"]["members"] == members
    assert report["enrolment"] == "opt_in"
    assert "not a causal effect" in report["caveat"]
    assert {c["outcome"] for c in report["matched"]["comparisons"]} <= {
        "repurchase_90d",
        "spend_since",
        "predicted_clv",
    }
    assert report["migration"]["columns"] == [None, "silver"]
    for params, field in (
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "tomorrow"}, "as_of"),
        ({"months": 0}, "months"),
        ({"months": "many"}, "months"),
    ):
        wrong = client.get(
            "/api/v1/loyalty/kpis", params={"programme": KEY, **params}, headers=viewer
        )
        assert wrong.status_code == 422 and field in wrong.json()["detail"], wrong.text
    unknown = client.get("/api/v1/loyalty/kpis", params={"programme": "nope"}, headers=viewer)
    assert unknown.status_code == 404 and "programme" in unknown.json()["detail"]
    assert client.get("/api/v1/loyalty/kpis", params={"programme": KEY}).status_code == 401
    every = client.get("/api/v1/loyalty/kpis", headers=viewer).json()["items"]
    assert KEY in [r["programme"] for r in every]
