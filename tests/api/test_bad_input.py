"""Malformed input on both databases answers 4xx naming the field, never a 5xx (issue 13).

Hand-picked cases first (each failed with a 500, or was stored, before), then Hypothesis
throwing malformed filter trees and NUL-laden text at the routes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tenure.kit.settings import ServerSettings, Settings
from tenure.web.app import create_app


def _auth(tokens: dict[str, str], role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _listed(client: TestClient, tokens: dict[str, str], tree: Any) -> Any:
    return client.get(
        "/api/v1/customers", params={"filter": json.dumps(tree)}, headers=_auth(tokens)
    )


def _nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"field": "clv", "op": ">", "value": 1}
    for _ in range(depth):
        tree = {"not": tree}
    return tree


MALFORMED = [
    ({"field": "clv", "op": ">", "value": [1, 2]}, "clv"),
    ({"field": "clv", "op": ">", "value": {"a": 1}}, "clv"),
    ({"field": "clv", "op": "between", "value": [1]}, "clv"),
    ({"field": "clv", "op": "between", "value": 5}, "clv"),
    ({"field": "country", "op": "=", "value": 5}, "country"),
    ({"field": "clv", "op": "<", "value": "lots"}, "clv"),
    ({"field": "email_consent", "op": "=", "value": "yes"}, "email_consent"),
    ({"field": "customer_id", "op": "=", "value": 2**70}, "customer_id"),
    ({"field": "clv", "op": "in", "value": [1, [2]]}, "clv"),
    ({"field": "clv", "op": "in", "value": 3}, "clv"),
    ({"field": "country", "op": "=", "value": "C\x00N"}, "country"),
    ({"field": "clv", "op": ">"}, "clv"),
    ({"all": {"field": "clv", "op": ">", "value": 1}}, "all"),
    ({"any": [1, 2]}, "node"),
    (_nested(21), "nested"),
]


@pytest.mark.parametrize(("tree", "named"), MALFORMED)
def test_a_malformed_filter_is_422_naming_the_field(
    client: TestClient, tokens: dict[str, str], tree: Any, named: str
) -> None:
    listed = _listed(client, tokens, tree)
    assert listed.status_code == 422, listed.text
    assert named in listed.json()["detail"]
    saved = client.post(
        "/api/v1/segments",
        json={"name": f"bad-{uuid.uuid4().hex[:8]}", "filter": tree},
        headers=_auth(tokens),
    )
    assert saved.status_code == 422, saved.text


def test_a_filter_twenty_deep_still_works_and_json_thousands_deep_is_422(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert _listed(client, tokens, _nested(20)).status_code == 200
    deep = "[" * 5_000 + "]" * 5_000
    answer = client.get("/api/v1/customers", params={"filter": deep}, headers=_auth(tokens))
    assert answer.status_code == 422 and "nested" in answer.json()["detail"]
    body = client.post(
        "/api/v1/segments",
        content=('{"name": "x", "filter": ' + "[" * 99_000 + "]" * 99_000 + "}").encode(),
        headers={**_auth(tokens), "Content-Type": "application/json"},
    )
    assert body.status_code == 400  # FastAPI: "There was an error parsing the body"


def test_ids_beyond_the_stores_integers_are_422(client: TestClient, tokens: dict[str, str]) -> None:
    auth = _auth(tokens)
    for big in (2**31, 2**63, 2**70):
        assert client.get(f"/api/v1/customers/{big}", headers=auth).status_code == 422
        task = client.post(
            "/api/v1/tasks", json={"customer_id": big, "title": "call"}, headers=auth
        )
        assert task.status_code == 422 and "customer_id" in task.json()["detail"]


NUL_CASES = [
    ("GET", "/api/v1/customers", {"params": {"q": "a\x00"}}, "q"),
    ("GET", "/api/v1/customers", {"params": {"tag": "\x00"}}, "tag"),
    ("POST", "/api/v1/customers", {"json": {"external_id": "n\x00ul"}}, "external_id"),
    ("POST", "/api/v1/customers", {"json": {"external_id": "nul-n", "name": "A\x00"}}, "name"),
    ("POST", "/api/v1/customers", {"json": {"external_id": "nul-t", "tags": ["\x00"]}}, "tags"),
    (
        "POST",
        "/api/v1/events",
        {
            "json": {
                "events": [
                    {
                        "id": "nul-1",
                        "customer": "x",
                        "type": "lo\x00gin",
                        "occurred_at": "2026-01-01T00:00:00Z",
                    }
                ]
            }
        },
        "type",
    ),
    (
        "POST",
        "/api/v1/events",
        {
            "json": {
                "events": [
                    {
                        "id": "nul-2",
                        "customer": "x",
                        "type": "login",
                        "occurred_at": "2026-01-01T00:00:00Z",
                        "properties": {"page": "a\x00"},
                    }
                ]
            }
        },
        "properties",
    ),
    ("POST", "/api/v1/tasks", {"json": {"customer_id": 1, "title": "\x00"}}, "title"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "named"), NUL_CASES)
def test_a_nul_character_is_422_naming_the_field(
    client: TestClient,
    tokens: dict[str, str],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    named: str,
) -> None:
    answer = client.request(method, path, headers=_auth(tokens), **kwargs)
    assert answer.status_code == 422, answer.text
    assert named in answer.json()["detail"] and "NUL" in answer.json()["detail"]


def test_a_task_title_cannot_be_nulled(client: TestClient, tokens: dict[str, str]) -> None:
    auth = _auth(tokens)
    customer = client.get("/api/v1/customers", params={"limit": 1}, headers=auth).json()
    customer_id = customer["items"][0]["id"]
    made = client.post(
        "/api/v1/tasks", json={"customer_id": customer_id, "title": "call"}, headers=auth
    )
    assert made.status_code == 201, made.text
    nulled = client.patch(f"/api/v1/tasks/{made.json()['id']}", json={"title": None}, headers=auth)
    assert nulled.status_code == 422 and "title" in nulled.json()["detail"]
    renamed = client.patch(
        f"/api/v1/tasks/{made.json()['id']}", json={"title": "call back"}, headers=auth
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "call back"


def test_properties_and_attributes_are_capped(client: TestClient, tokens: dict[str, str]) -> None:
    auth = _auth(tokens)
    big = {"blob": "x" * 40_000}
    made = client.post(
        "/api/v1/customers", json={"external_id": "big-attr", "attributes": big}, headers=auth
    )
    assert made.status_code == 422 and "attributes" in made.json()["detail"]
    event = {"id": "big-1", "customer": "x", "type": "login", "occurred_at": "2026-01-01T00:00:00Z"}
    sent = client.post(
        "/api/v1/events", json={"events": [{**event, "properties": big}]}, headers=auth
    )
    assert sent.status_code == 422 and "properties" in sent.json()["detail"]


@pytest.fixture(scope="module")
def small_limits(store: Engine) -> TestClient:
    limits = ServerSettings(max_body_bytes=4096, max_header_bytes=4096)
    return TestClient(create_app(store, Settings(server=limits)))


def test_a_big_body_is_413_before_sign_in_and_big_headers_431(
    small_limits: TestClient,
) -> None:
    # no token at all: the size is refused before authentication would answer 401
    declared = small_limits.post("/api/v1/events", content=b"x" * 5000)
    assert declared.status_code == 413 and "max_body_bytes" in declared.json()["detail"]

    def streamed() -> Iterator[bytes]:  # no Content-Length: counted while it streams in
        for _ in range(10):
            yield b"x" * 1000

    chunked = small_limits.post("/api/v1/events", content=streamed())
    assert chunked.status_code == 413
    assert small_limits.post("/api/v1/events", content=b"{}").status_code == 401
    headers = small_limits.get("/healthz", headers={"X-Big": "y" * 5000})
    assert headers.status_code == 431
    assert small_limits.get("/healthz").status_code == 200


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=6).map(lambda t: t + "\x00")
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
leaves = st.builds(
    lambda field, op, value: {"field": field, "op": op, "value": value},
    st.sampled_from(["clv", "country", "customer_id", "stage", "email_consent", "p_alive"]),
    st.sampled_from(["=", "!=", ">", "<", "in", "not_in", "between", "is_null"]),
    values,
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)


def test_fuzzed_filter_trees_never_make_a_server_error(
    client: TestClient, tokens: dict[str, str]
) -> None:
    @given(tree=trees)
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(tree: dict[str, Any]) -> None:
        answer = _listed(client, tokens, tree)
        assert answer.status_code in (200, 422), (tree, answer.text)

    check()


def test_fuzzed_nul_text_is_refused_everywhere(client: TestClient, tokens: dict[str, str]) -> None:
    @given(text=texts, where=st.sampled_from(["q", "tag", "segment", "name", "title", "type"]))
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(text: str, where: str) -> None:
        auth = _auth(tokens)
        if where in ("q", "tag", "segment"):
            answer = client.get("/api/v1/customers", params={where: text}, headers=auth)
        elif where == "name":
            body = {"external_id": "fz", "name": text}
            answer = client.post("/api/v1/customers", json=body, headers=auth)
        elif where == "title":
            body = {"customer_id": 1, "title": text}
            answer = client.post("/api/v1/tasks", json=body, headers=auth)
        else:
            event = {"id": "f", "customer": "x", "type": text, "occurred_at": "2026-01-01T00:00Z"}
            answer = client.post("/api/v1/events", json={"events": [event]}, headers=auth)
        assert answer.status_code == 422, (where, text, answer.text)
        assert where in answer.json()["detail"]

    check()
