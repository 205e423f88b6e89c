"""A page's error says what went wrong in the reader's language."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import sign_in


def test_an_unknown_customer_is_said_in_chinese(app_client: TestClient) -> None:
    sign_in(app_client, "admin")
    english = app_client.get("/customers/987654")
    assert english.status_code == 404 and "no customer with id 987654" in english.text
    chinese = app_client.get("/customers/987654?lang=zh")
    assert chinese.status_code == 404
    assert "没有 id 为 987654 的客户" in chinese.text
    assert "no customer with id" not in chinese.text
