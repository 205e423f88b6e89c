"""API errors answer in the caller's language: ?lang, their user's setting, Accept-Language."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.api.auth import TOKENS
from tenure.domains.users import service as users
from tenure.domains.users.models import User

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_404_409_422_and_401_in_chinese_when_asked(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['marketing']}"}
    english = client.get("/api/v1/customers/987654", headers=auth)
    assert english.status_code == 404 and english.json()["detail"] == "no customer with id 987654"
    gone = client.get("/api/v1/customers/987654", headers=auth | ZH)
    assert gone.status_code == 404
    assert gone.json() == {"error": "not_found", "detail": "没有 id 为 987654 的客户"}
    name = f"words-{uuid.uuid4().hex[:6]}"
    tree = {"field": "clv", "op": ">=", "value": 100}
    made = client.post("/api/v1/segments", json={"name": name, "filter": tree}, headers=auth)
    assert made.status_code == 201
    again = client.post(
        "/api/v1/segments?lang=zh", json={"name": name, "filter": tree}, headers=auth
    )
    assert again.status_code == 409
    assert again.json()["detail"] == f"名为 '{name}' 的分群已存在；请先删除或换一个名称"
    bad = {"name": name + "x", "filter": {"field": "shoe_size", "op": "=", "value": 9}}
    refused = client.post("/api/v1/segments", json=bad, headers=auth | ZH)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("筛选了未知字段 'shoe_size'；可用字段：")
    missing = client.post("/api/v1/segments", json={"filter": tree}, headers=auth | ZH)
    assert missing.status_code == 422 and "name：缺少此字段" in missing.json()["detail"]
    # ?lang= wins over the header; no token at all: still the caller's language
    assert client.get("/api/v1/customers/987654?lang=en", headers=auth | ZH).json()["detail"] == (
        "no customer with id 987654"
    )
    assert client.get("/api/v1/customers", headers=ZH).json()["detail"] == (
        "请发送 API 令牌：Authorization: Bearer TOKEN"
    )
    assert client.delete(f"/api/v1/segments/{name}", headers=auth).status_code == 200


def test_a_user_who_reads_chinese_gets_chinese_errors(
    client: TestClient, tokens: dict[str, str], store: Engine
) -> None:
    with store.begin() as conn:
        viewer = conn.execute(select(User.id).where(User.email == "viewer@api.test")).scalar_one()
        users.set_language(conn, int(viewer), "zh")
    auth = {"Authorization": f"Bearer {tokens['viewer']}"}
    try:
        # a language is no credential: a caller remembered before sees it within 10 s
        TOKENS.clear()
        denied = client.delete("/api/v1/segments/none", headers=auth)
        assert denied.status_code == 403
        assert denied.json()["detail"].startswith("此令牌（角色 viewer，")
    finally:
        with store.begin() as conn:
            users.set_language(conn, int(viewer), None)
        TOKENS.clear()


def test_each_refused_event_of_a_batch_says_index_field_and_why_in_either_language(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    prefix = uuid.uuid4().hex[:8]
    stranger = {
        "id": f"{prefix}-x",
        "customer": "nobody-knows-me",
        "type": "login",
        "occurred_at": "2026-03-10T08:00:00+08:00",
    }
    batch = {"events": [stranger, {**stranger, "id": f"{prefix}-y"}]}
    english = client.post("/api/v1/events", json=batch, headers=auth).json()
    assert [(r["index"], r["field"]) for r in english["rejected"]] == [
        (0, "customer"),
        (1, "customer"),
    ]
    assert english["rejected"][0]["error"] == (
        "customer: no customer with external id 'nobody-knows-me'; "
        "create it first (POST /api/v1/customers)"
    )
    chinese = client.post("/api/v1/events?lang=zh", json=batch, headers=auth).json()
    assert chinese["rejected"][1] == {
        "index": 1,
        "id": f"{prefix}-y",
        "field": "customer",
        "error": "customer：没有外部 id 为 'nobody-knows-me' 的客户；"
        "请先创建（POST /api/v1/customers）",
    }
    # an event the schema refuses names its index and field, in 中文 when asked
    broken = client.post(
        "/api/v1/events", json={"events": [stranger, {"id": "z"}]}, headers=auth | ZH
    )
    assert broken.status_code == 422
    assert "body.events.1.customer：缺少此字段" in broken.json()["detail"]
