"""Choosing a new password after a one-time one, changing one's own, an admin's reset."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.domains.users import service as users
from tenure.storage.engine import write_transaction
from tests.web.conftest import sign_in

NEW = "my own chosen phrase"


def _login(client: TestClient, email: str, password: str) -> str:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": token[1], "next": "/tasks"},
        follow_redirects=False,
    )
    return str(answer.headers.get("location", answer.status_code))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def test_a_one_time_password_leads_to_choosing_a_new_one_first(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        _, once = users.create_user(conn, "Otto Once", "otto@web.test", "csm")
    assert _login(app_client, "otto@web.test", once) == "/password/new"
    for path in ("/", "/tasks", "/customers", "/password"):
        away = app_client.get(path, follow_redirects=False)
        if path == "/password":
            assert away.status_code == 200 and 'id="forced-note"' in away.text
        else:
            assert away.headers["location"] == "/password/new", path
    page = app_client.get("/password/new")
    assert page.status_code == 200 and 'name="current"' not in page.text
    csrf = _csrf(page.text)
    short = app_client.post("/password", data={"csrf": csrf, "new": "short", "again": "short"})
    assert short.status_code == 422
    assert re.search(r'id="error-new"[^>]*>[^<]*12 characters', short.text)
    differ = app_client.post("/password", data={"csrf": csrf, "new": NEW, "again": NEW + "x"})
    assert differ.status_code == 422 and 'id="error-again"' in differ.text
    assert 'id="error-new"' not in differ.text
    zh = app_client.post("/password?lang=zh", data={"csrf": csrf, "new": NEW, "again": NEW + "x"})
    assert "两次输入的新密码不一致" in zh.text
    done = app_client.post(
        "/password", data={"csrf": csrf, "new": NEW, "again": NEW}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert app_client.get("/tasks").status_code == 200
    # the one-time password is spent; the new one works
    other = TestClient(app_client.app)
    assert _login(other, "otto@web.test", once) == "401"
    assert _login(other, "otto@web.test", NEW) == "/tasks"


def test_every_user_changes_their_password_with_errors_beside_the_fields(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        users.create_user(conn, "Pia", "pia@web.test", "viewer")
        users.set_password(conn, "pia@web.test", "pia's first password")
    elsewhere = TestClient(app_client.app)
    assert _login(elsewhere, "pia@web.test", "pia's first password") == "/tasks"
    assert _login(app_client, "pia@web.test", "pia's first password") == "/tasks"
    page = app_client.get("/password")
    assert page.status_code == 200 and 'name="current"' in page.text
    csrf = _csrf(page.text)
    wrong = app_client.post(
        "/password", data={"csrf": csrf, "current": "nope", "new": NEW, "again": NEW}
    )
    assert wrong.status_code == 422 and 'id="error-current"' in wrong.text
    forged = app_client.post(
        "/password", data={"csrf": "x", "current": "pia's first password", "new": NEW, "again": NEW}
    )
    assert forged.status_code == 403
    done = app_client.post(
        "/password",
        data={"csrf": csrf, "current": "pia's first password", "new": NEW, "again": NEW},
    )
    assert done.status_code == 200 and 'id="password-changed"' in done.text
    # the other browser is signed out; this one stays
    assert elsewhere.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert app_client.get("/").status_code == 200
    assert _login(TestClient(app_client.app), "pia@web.test", NEW) == "/tasks"


def test_an_admin_reset_signs_the_user_out_and_hands_out_a_one_time_password(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        rex_id, _ = users.create_user(conn, "Rex", "rex@web.test", "sales")
        users.set_password(conn, "rex@web.test", "rex's own password")
    rex = TestClient(app_client.app)
    assert _login(rex, "rex@web.test", "rex's own password") == "/tasks"
    csrf = sign_in(app_client, "admin")
    reset = app_client.post(f"/users/{rex_id}/password", data={"csrf": csrf})
    assert reset.headers["cache-control"] == "no-store"
    once = re.search(r'id="one-time-password".*?<code>([^<]+)</code>', reset.text, re.S)
    assert once is not None
    assert rex.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert _login(TestClient(app_client.app), "rex@web.test", "rex's own password") == "401"
    assert _login(rex, "rex@web.test", once[1]) == "/password/new"
    # a role change signs them out as well
    app_client.post(f"/users/{rex_id}/role", data={"csrf": csrf, "role": "viewer"})
    assert rex.get("/password/new", follow_redirects=False).headers["location"].startswith("/login")
