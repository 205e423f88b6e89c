"""`tenure users`: an admin's first day, as a person types it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from tenure.domains.users import service
from tenure.kit.errors import Forbidden
from tenure.kit.settings import Settings
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tests.cli.test_cli import tenure


def test_create_a_user_and_a_token_then_revoke_it(tmp_path: Path, empty_sqlite_url: str) -> None:
    made = tenure(
        "users",
        "create",
        "Ana@Example.com",
        "--name",
        "Ana Lima",
        "--role",
        "admin",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    password = re.search(r"One-time password: (\S+)", made.stdout)
    assert password is not None
    issued = tenure(
        "users",
        "token",
        "create",
        "ana@example.com",
        "--name",
        "shop",
        "--scope",
        "ingest",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    token = re.search(r"(tnr_\S+)", issued.stdout)
    assert issued.returncode == 0 and token is not None
    engine = create_engine(empty_sqlite_url)
    with engine.begin() as conn:
        assert service.authenticate(conn, "ana@example.com", password.group(1)) is not None
    with engine.begin() as conn, pytest.raises(Forbidden, match="one-time password"):
        service.check_token(conn, token.group(1))  # not before a password of their own
    with engine.begin() as conn:
        service.set_password(conn, "ana@example.com", "a service account's secret")
        who = service.check_token(conn, token.group(1))
        assert who is not None and who.scopes == ["ingest"]
    listed = tenure("users", "token", "list", url=empty_sqlite_url, cwd=tmp_path)
    assert token.group(1) not in listed.stdout and token.group(1)[:12] in listed.stdout
    assert (
        tenure("users", "token", "revoke", "1", url=empty_sqlite_url, cwd=tmp_path).returncode == 0
    )
    with engine.begin() as conn:
        assert service.check_token(conn, token.group(1)) is None
    engine.dispose()


def test_mistakes_are_one_line_errors(tmp_path: Path, empty_sqlite_url: str) -> None:
    wrong = tenure(
        "users",
        "create",
        "bo@example.com",
        "--name",
        "Bo",
        "--role",
        "boss",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert wrong.returncode == 1
    assert "unknown role 'boss'; roles: admin, manager" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    gone = tenure("users", "token", "revoke", "7", url=empty_sqlite_url, cwd=tmp_path)
    assert gone.returncode == 1 and "no active API token with id 7" in gone.stderr
    # in 中文 when asked (or when the locale is zh)
    chinese = tenure(
        "--lang", "zh", "users", "token", "revoke", "7", url=empty_sqlite_url, cwd=tmp_path
    )
    assert chinese.returncode == 1 and "错误：没有 id 为 7 的有效 API 令牌" in chinese.stderr


def test_put_a_user_in_a_team_and_out_again(tmp_path: Path, empty_sqlite_url: str) -> None:
    made = tenure(
        "users",
        "create",
        "lin@example.com",
        "--name",
        "Lin Yue",
        "--role",
        "csm",
        "--team",
        "success",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    listed = tenure("users", "list", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert '"team": "success"' in listed.stdout
    moved = tenure(
        "users", "team", "lin@example.com", "sales-east", url=empty_sqlite_url, cwd=tmp_path
    )
    assert moved.returncode == 0 and "in the team sales-east" in moved.stdout
    out = tenure("users", "team", "lin@example.com", url=empty_sqlite_url, cwd=tmp_path)
    assert out.returncode == 0 and "in no team" in out.stdout
    listed = tenure("users", "list", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert '"team": null' in listed.stdout
    wrong = tenure(
        "users", "team", "lin@example.com", "A team!", url=empty_sqlite_url, cwd=tmp_path
    )
    assert wrong.returncode == 1 and "team: 'a team!' is not a team name" in wrong.stderr
    nobody = tenure("users", "team", "no@example.com", "x", url=empty_sqlite_url, cwd=tmp_path)
    assert nobody.returncode == 1 and "no user with the email" in nobody.stderr


def test_reset_a_password_from_the_command_line(tmp_path: Path, empty_sqlite_url: str) -> None:
    from tenure.domains.users import sessions

    made = tenure(
        "users", "create", "bo@example.com", "--name", "Bo", url=empty_sqlite_url, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    first = re.search(r"One-time password: (\S+)", made.stdout)
    assert first is not None
    engine = create_engine(empty_sqlite_url)
    with engine.begin() as conn:
        opened = sessions.sign_in(conn, "bo@example.com", first.group(1), "cli-test")
    assert opened is not None and opened[1].must_change
    reset = tenure(
        "users", "reset-password", "BO@example.com", "--json", url=empty_sqlite_url, cwd=tmp_path
    )
    assert reset.returncode == 0, reset.stderr
    given = json.loads(reset.stdout)
    assert given["email"] == "bo@example.com" and given["password"] != first.group(1)
    with engine.begin() as conn:
        assert sessions.session_of(conn, opened[0]) is None  # signed out everywhere
        assert service.check_password(conn, "bo@example.com", first.group(1)) is None
        again = sessions.sign_in(conn, "bo@example.com", given["password"], "cli-test")
    assert again is not None and again[1].must_change
    missing = tenure(
        "users", "reset-password", "no@example.com", url=empty_sqlite_url, cwd=tmp_path
    )
    assert missing.returncode == 1 and "no user with the email" in missing.stderr
    engine.dispose()


def test_a_change_on_the_command_line_reaches_a_running_server_at_once(
    tmp_path: Path, empty_sqlite_url: str
) -> None:
    # the server remembers a token's caller for 10 s; the CLI is another process, which
    # cannot clear that memory: the credentials generation it bumps is checked on every call
    engine = create_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        service.create_user(conn, "Ana", "ana@example.com", "admin")
        service.set_password(conn, "ana@example.com", "a service account's secret")
        token = service.create_token(conn, "ana@example.com", "t", ["read", "write"])[1]
    api = TestClient(create_app(engine, Settings()))
    auth = {"Authorization": f"Bearer {token}"}
    assert api.delete("/api/v1/segments/none", headers=auth).status_code == 404  # allowed
    demoted = tenure(
        "users", "role", "ana@example.com", "viewer", url=empty_sqlite_url, cwd=tmp_path
    )
    assert demoted.returncode == 0 and "is now viewer" in demoted.stdout
    refused = api.delete("/api/v1/segments/none", headers=auth)
    assert refused.status_code == 403 and "role viewer" in refused.json()["detail"]
    assert api.get("/api/v1/customers", headers=auth).status_code == 200  # viewers read
    reset = tenure("users", "reset-password", "ana@example.com", url=empty_sqlite_url, cwd=tmp_path)
    assert reset.returncode == 0, reset.stderr
    after = api.get("/api/v1/customers", headers=auth)
    assert after.status_code == 403 and "one-time password" in after.json()["detail"]
    engine.dispose()
