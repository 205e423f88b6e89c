"""The loyalty API: balance and tier, a paged ledger, awards and redemptions under keys."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tenure.domains.loyalty import programmes
from tenure.domains.loyalty.definition import Programme
from tenure.domains.loyalty.models import LoyaltyAccount, LoyaltyEntry

CUSTOMER = "/api/v1/customers/{}/loyalty"


def _programme(store: Engine) -> None:
    with store.begin() as conn:
        programme = Programme.model_validate(
            {
                "key": "api-stars",
                "name": "Stars",
                "earn": [{"key": "base", "per_unit": 1}],
                "rewards": [{"key": "coffee", "name": "A coffee", "price": 40}],
            }
        )
        programmes.apply(conn, programme, "test", datetime(2026, 4, 1, tzinfo=UTC))


def _sum(store: Engine, customer_id: int) -> int:
    with store.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(LoyaltyEntry.amount), 0))
                .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyEntry.account_id)
                .where(LoyaltyAccount.customer_id == customer_id)
            ).scalar_one()
        )


def test_award_redeem_balance_and_ledger(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    _programme(store)
    auth = {"Authorization": f"Bearer {tokens['csm']}"}
    who = client.get("/api/v1/customers", params={"limit": 1}, headers=auth).json()["items"][0]
    url = CUSTOMER.format(who["id"])
    award = {"programme": "api-stars", "amount": 100, "reason": "sorry"}
    first = client.post(url + "/awards", json=award, headers=auth | {"Idempotency-Key": "a1"})
    assert first.status_code == 200, first.text
    assert (first.json()["replayed"], first.json()["spendable"]) == (False, 100)
    again = client.post(url + "/awards", json=award | {"key": "a1"}, headers=auth)
    assert again.json()["replayed"] is True
    assert again.json()["entry"]["id"] == first.json()["entry"]["id"]
    # the same key for another amount is a conflict; no key at all names the field
    clash = client.post(url + "/awards", json=award | {"amount": 5, "key": "a1"}, headers=auth)
    assert clash.status_code == 409 and "key" in clash.json()["detail"]
    nokey = client.post(url + "/awards", json=award, headers=auth)
    assert nokey.status_code == 422 and "key" in nokey.json()["detail"]
    spend = {"programme": "api-stars", "reward": "coffee", "quantity": 2, "key": "r1"}
    redeemed = client.post(url + "/redemptions", json=spend, headers=auth)
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["balance"] == 100 - 80 == _sum(store, who["id"])
    short = client.post(url + "/redemptions", json=spend | {"key": "r2"}, headers=auth)
    assert short.status_code == 409 and "amount" in short.json()["detail"]
    both = client.post(url + "/redemptions", json=spend | {"amount": 3}, headers=auth)
    assert both.status_code == 422 and "reward" in both.json()["detail"]
    seen = client.get(url, headers=auth).json()["items"]
    assert [(i["programme"], i["balance"]) for i in seen if i["programme"] == "api-stars"] == [
        ("api-stars", _sum(store, who["id"]))
    ]
    page = client.get(
        url + "/ledger", params={"programme": "api-stars", "limit": 1}, headers=auth
    ).json()
    assert [i["kind"] for i in page["items"]] == ["redeem"]
    rest = client.get(
        url + "/ledger",
        params={"programme": "api-stars", "before_id": page["next_before_id"]},
        headers=auth,
    ).json()
    assert [i["kind"] for i in rest["items"]] == ["earn"] and rest["next_before_id"] is None
    # without a programme: every programme's entries, newest first, each named
    club = Programme.model_validate(
        {"key": "api-more", "name": "More", "earn": [{"key": "base", "per_unit": 1}]}
    )
    with store.begin() as conn:
        programmes.apply(conn, club, "test", datetime(2026, 4, 1, tzinfo=UTC))
    more = {"programme": "api-more", "amount": 7, "key": "m1"}
    assert client.post(url + "/awards", json=more, headers=auth).status_code == 200
    every = client.get(url + "/ledger", headers=auth).json()
    assert [(i["programme"], i["kind"]) for i in every["items"]] == [
        ("api-more", "earn"),
        ("api-stars", "redeem"),
        ("api-stars", "earn"),
    ]
    assert [i["id"] for i in every["items"]] == sorted(
        (i["id"] for i in every["items"]), reverse=True
    )
    # a viewer reads but may not award; sales may redeem but not award
    for role, path, status in (("viewer", "/awards", 403), ("sales", "/awards", 403)):
        answer = client.post(
            url + path,
            json=award | {"key": "x"},
            headers={"Authorization": f"Bearer {tokens[role]}"},
        )
        assert answer.status_code == status, role
    assert client.get(CUSTOMER.format(987654), headers=auth).status_code == 404


def test_a_referral_from_code_to_review_and_decision(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    from tenure.domains.audit.service import Actor
    from tenure.domains.customers import changes

    with store.begin() as conn:
        programme = Programme.model_validate(
            {
                "key": "api-club",
                "name": "Club",
                "earn": [{"key": "base", "per_unit": 1}],
                "referral": {"referrer_points": 300, "review_after": 1},
            }
        )
        programmes.apply(conn, programme, "test", datetime(2026, 4, 1, tzinfo=UTC))
        ids = [
            changes.create_customer(
                conn, Actor(None, "cli"), {"external_id": f"REF-{n}", "email": f"{n}x@ref.test"}
            )
            for n in ("ann", "bob", "cy")
        ]
    ann, bob, cy = ids
    auth = {"Authorization": f"Bearer {tokens['csm']}"}
    made = client.post(
        CUSTOMER.format(ann) + "/referral-code", params={"programme": "api-club"}, headers=auth
    )
    assert made.status_code == 200, made.text
    code = made.json()["code"]
    again = client.post(
        CUSTOMER.format(ann) + "/referral-code", params={"programme": "api-club"}, headers=auth
    )
    assert again.json()["code"] == code

    body = {"programme": "api-club", "code": code, "friend_id": bob}
    first = client.post("/api/v1/loyalty/referrals", json=body, headers=auth)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["reasons"]) == ("waiting", [])
    twice = client.post("/api/v1/loyalty/referrals", json=body, headers=auth)
    assert twice.status_code == 409 and "friend" in twice.json()["detail"]
    burst = client.post("/api/v1/loyalty/referrals", json=body | {"friend_id": cy}, headers=auth)
    assert (burst.json()["status"], burst.json()["reasons"]) == ("review", ["burst"])
    wrong = client.post("/api/v1/loyalty/referrals", json=body | {"code": "NOPE"}, headers=auth)
    assert wrong.status_code == 404 and "code" in wrong.json()["detail"]

    review = client.get(
        "/api/v1/loyalty/referrals",
        params={"programme": "api-club", "status": "review"},
        headers=auth,
    ).json()["items"]
    assert [(r["referrer"], r["friend"]) for r in review] == [("REF-ann", "REF-cy")]
    decision = f"/api/v1/loyalty/referrals/{review[0]['id']}/decision"
    unnamed = client.post(decision, json={"programme": "api-club", "approve": True}, headers=auth)
    assert unnamed.status_code == 422 and "note" in unnamed.json()["detail"]
    done = client.post(
        decision,
        json={"programme": "api-club", "approve": False, "note": "same person"},
        headers=auth,
    )
    assert done.json() == {"id": review[0]["id"], "status": "rejected"}
    bad = client.get(
        "/api/v1/loyalty/referrals", params={"programme": "api-club", "status": "x"}, headers=auth
    )
    assert bad.status_code == 422 and "status" in bad.json()["detail"]
