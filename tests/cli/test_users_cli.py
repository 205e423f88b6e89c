"""`tenure users`: an admin's first day, as a person types it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import create_engine

from tenure.domains.users import service
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
