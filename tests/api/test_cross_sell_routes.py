"""The cross-sell routes on a small scored store with planted sequences (the package's demo
store of 300 customers has too few buyers per pair): filters, pages, offers, dismissals, 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.domains.users.models import Role
from tenure.web.app import create_app
from tests.api.conftest import ALL_SCOPES
from tests.conftest import scratch_store
from tests.domains.crosssell.conftest import cross_sell_settings
from tests.domains.crosssell.store import AS_OF, planted_store
from tests.factories import settle_password


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with scratch_store(request.param, request, tmp_path_factory.mktemp("xapi")) as engine:
        with engine.begin() as conn:
            with Session(bind=conn) as session:
                planted_store(session)
                session.flush()
            run_scoring(conn, AS_OF, cross_sell_settings())
        yield engine


@pytest.fixture(scope="module")
def tokens(store: Engine) -> dict[str, str]:
    made = {}
    with store.begin() as conn:
        for role in (Role.ADMIN, Role.VIEWER, Role.SALES):
            users.create_user(conn, role.value, f"{role.value}@x.test", role.value)
            settle_password(conn, f"{role.value}@x.test")
            made[role.value] = users.create_token(conn, f"{role.value}@x.test", "t", ALL_SCOPES)[1]
    return made


@pytest.fixture(scope="module")
def client(store: Engine) -> TestClient:
    return TestClient(create_app(store, cross_sell_settings()))


def _auth(tokens: dict[str, str], role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_pairs_filter_and_refuse_a_bad_level(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    auth = _auth(tokens, "viewer")
    with store.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT level, a, b, share FROM sequence_pairs WHERE run_id = "
                "(SELECT max(id) FROM scoring_runs)"
            )
        ).all()
    assert stored, "the planted sequences give pairs"
    everything = client.get("/api/v1/cross-sell/pairs", params={"limit": 500}, headers=auth)
    assert everything.status_code == 200
    assert everything.json()["total"] == len(stored)
    zs = [p["z"] for p in everything.json()["items"]]
    assert zs == sorted(zs, reverse=True)
    cut = client.get(
        "/api/v1/cross-sell/pairs",
        params={"level": "category", "min_share": 0.2, "limit": 500},
        headers=auth,
    ).json()
    want = {(a, b) for level, a, b, share in stored if level == "category" and share >= 0.2}
    assert {(p["a"], p["b"]) for p in cut["items"]} == want
    bad = client.get("/api/v1/cross-sell/pairs", params={"level": "brand"}, headers=auth)
    assert bad.status_code == 422 and "level" in bad.text
    bad = client.get("/api/v1/cross-sell/pairs", params={"min_share": 3}, headers=auth)
    assert bad.status_code == 422 and "min_share" in bad.text


def test_due_without_a_pair_is_every_pair_a_page_at_a_time(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    auth = _auth(tokens, "viewer")
    with store.connect() as conn:
        due = conn.execute(
            text(
                "SELECT o.customer_id, o.item FROM customer_offers o JOIN scoring_runs r "
                "ON r.id = o.run_id WHERE r.id = (SELECT max(id) FROM scoring_runs) "
                "AND o.source = 'sequence' AND o.due_on <= r.as_of"
            )
        ).all()
    seen = []
    offset = 0
    while True:
        page = client.get(
            "/api/v1/cross-sell/due", params={"limit": 40, "offset": offset}, headers=auth
        ).json()
        assert page["total"] == len(due)
        seen += [(r["customer_id"], r["item"]) for r in page["items"]]
        assert all(r["reason"] for r in page["items"])
        if len(page["items"]) < 40:
            break
        offset += 40
    assert sorted(seen) == sorted((c, i) for c, i in due)


def test_a_dismissed_offer_is_gone_from_the_customer_and_the_due_list(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    auth = _auth(tokens, "sales")
    page = client.get("/api/v1/cross-sell/due", params={"limit": 1}, headers=auth).json()
    assert page["items"], "someone is due"
    offer = page["items"][0]
    customer, item = offer["customer_id"], offer["item"]
    mine = client.get(f"/api/v1/customers/{customer}/offers", headers=auth).json()
    assert item in [o["item"] for o in mine["offers"]]
    zh = client.get(f"/api/v1/customers/{customer}/offers", params={"lang": "zh"}, headers=auth)
    assert "天前购买了" in zh.text or "最受欢迎" in zh.text
    done = client.post(f"/api/v1/customers/{customer}/offers/{item}/dismiss", headers=auth)
    try:
        assert done.status_code == 200, done.text
        mine = client.get(f"/api/v1/customers/{customer}/offers", headers=auth).json()
        assert item not in [o["item"] for o in mine["offers"]]
        after = client.get("/api/v1/cross-sell/due", params={"limit": 500}, headers=auth).json()
        assert (customer, item) not in [(r["customer_id"], r["item"]) for r in after["items"]]
        assert after["total"] < page["total"]
    finally:  # the store is shared by the package's tests
        with store.begin() as conn:
            conn.execute(text("DELETE FROM offer_dismissals"))
    missing = client.post("/api/v1/customers/987654/offers/x/dismiss", headers=auth)
    assert missing.status_code == 404
    viewer = client.post(
        f"/api/v1/customers/{customer}/offers/{item}/dismiss", headers=_auth(tokens, "viewer")
    )
    assert viewer.status_code == 403


def test_a_segment_of_the_customers_due_and_a_filter_on_the_propensity(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    auth = _auth(tokens)
    with store.connect() as conn:
        item, due = conn.execute(
            text(
                "SELECT item, count(DISTINCT customer_id) FROM customer_offers "
                "WHERE level = 'product' AND source = 'sequence' AND due_on <= :d "
                "GROUP BY item ORDER BY 2 DESC, item LIMIT 1"
            ),
            {"d": AS_OF},
        ).one()
    tree = {"field": "due_for", "op": "=", "value": item}
    made = client.post("/api/v1/segments", json={"name": "due", "filter": tree}, headers=auth)
    try:
        assert made.status_code == 201 and made.json()["members"] == due
        with store.connect() as conn:
            offered = conn.execute(
                text(
                    "SELECT count(DISTINCT customer_id) FROM customer_offers "
                    "WHERE level = 'product' AND item = :i AND score > 0.01"
                ),
                {"i": item},
            ).scalar_one()
        condition = {"field": "offer_score", "item": item, "op": ">", "value": 0.01}
        listed = client.get(
            "/api/v1/customers",
            params={"filter": json.dumps(condition), "limit": 500},
            headers=auth,
        )
        assert listed.status_code == 200 and len(listed.json()["items"]) == offered > 0
    finally:
        client.delete("/api/v1/segments/due", headers=auth)
    for bad, field in (
        ({"field": "due_for", "op": "<", "value": item}, "due_for"),
        ({"field": "offer_score", "item": 5, "op": ">", "value": 0.1}, "offer_score"),
    ):
        refused = client.post("/api/v1/segments", json={"name": "bad", "filter": bad}, headers=auth)
        assert refused.status_code == 422 and field in refused.json()["detail"]
