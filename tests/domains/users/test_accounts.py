"""Accounts on both databases: one-time passwords, sign-in, tokens kept as hashes, revocation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, select, update

from tenure.domains.audit.service import Actor
from tenure.domains.registry import metadata
from tenure.domains.users import credentials, service
from tenure.domains.users.models import Role
from tenure.domains.users.permissions import ALLOWED, SCOPES, Permission, allows
from tenure.kit.errors import Conflict, Forbidden, InvalidInput, NotFound

DOCS = Path(__file__).parents[3] / "docs" / "security.md"


def test_a_new_user_signs_in_with_the_one_time_password(conn: Connection) -> None:
    user_id, password = service.create_user(conn, "Ana Lima", " Ana@Example.com ", "admin")
    users = metadata().tables["users"]
    stored = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
    assert stored.startswith("$argon2id$") and password not in stored
    assert service.authenticate(conn, "ana@example.com", "wrong password") is None
    assert service.authenticate(conn, "nobody@example.com", password) is None
    who = service.authenticate(conn, "ANA@example.com", password)
    assert who == service.Principal(user_id, "ana@example.com", "admin")
    assert conn.execute(select(users.c.last_login_at).where(users.c.id == user_id)).scalar()
    # a new password replaces it; an inactive user cannot sign in at all
    service.set_password(conn, "ana@example.com", "a much longer secret")
    assert service.authenticate(conn, "ana@example.com", password) is None
    assert service.authenticate(conn, "ana@example.com", "a much longer secret") is not None
    conn.execute(update(users).where(users.c.id == user_id).values(active=False))
    assert service.authenticate(conn, "ana@example.com", "a much longer secret") is None


def test_accounts_refuse_what_cannot_work(conn: Connection) -> None:
    service.create_user(conn, "Bo", "bo@example.com", "sales")
    with pytest.raises(Conflict):
        service.create_user(conn, "Bo again", "BO@example.com", "sales")
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        service.create_user(conn, "Cy", "cy@example.com", "boss")
    with pytest.raises(InvalidInput, match="12 characters"):
        service.set_password(conn, "bo@example.com", "short")
    with pytest.raises(NotFound):
        service.set_password(conn, "nobody@example.com", "long enough password")


def test_tokens_are_kept_as_hashes_and_stop_working_when_revoked(conn: Connection) -> None:
    service.create_user(conn, "Hook", "hook@example.com", "marketing")
    token_id, token = service.create_token(conn, "hook@example.com", "shop", ["ingest", "read"])
    assert token.startswith(credentials.TOKEN_PREFIX) and len(token) > 40
    tokens = metadata().tables["api_tokens"]
    row = conn.execute(select(tokens).where(tokens.c.id == token_id)).mappings().one()
    assert token not in str(dict(row)) and row["token_hash"] == credentials.token_digest(token)
    # a one-time password is not yet theirs: no token of theirs works until they choose one
    with pytest.raises(Forbidden, match="one-time password") as refused:
        service.check_token(conn, token)
    assert refused.value.status_code == 403 and "tenure users password" in refused.value.message
    service.set_password(conn, "hook@example.com", "a service account's secret")
    who = service.check_token(conn, token)
    assert who is not None and who.role == "marketing" and who.scopes == ["ingest", "read"]
    assert service.check_token(conn, token + "x") is None
    assert service.list_tokens(conn)[-1]["last_used_at"] is not None
    service.revoke_token(conn, token_id)
    assert service.check_token(conn, token) is None
    with pytest.raises(NotFound):
        service.revoke_token(conn, token_id)
    with pytest.raises(InvalidInput, match="scopes"):
        service.create_token(conn, "hook@example.com", "x", ["admin"])


def test_a_token_never_does_more_than_its_role() -> None:
    # marketing may import but not run scoring; a read-only token of an admin cannot import
    assert allows("marketing", Permission.IMPORT_DATA)
    assert not allows("marketing", Permission.RUN_SCORING)
    assert not allows("admin", Permission.IMPORT_DATA, scopes=["read"])
    assert allows("admin", Permission.IMPORT_DATA, scopes=["ingest"])
    assert not allows("viewer", Permission.READ_SPEND, scopes=["read"])
    assert not allows("nobody", Permission.READ_CUSTOMERS)
    assert all(Permission.READ_CUSTOMERS in granted for granted in ALLOWED.values())
    assert set(SCOPES["read"]) <= set(ALLOWED[Role.ADMIN])


def test_docs_print_the_same_table_as_the_code() -> None:
    # docs/security.md: one row per permission, a ✓ under each role that has it
    text = DOCS.read_text(encoding="utf-8")
    header = re.search(r"^\| permission \|(.+)\|$", text, re.MULTILINE)
    assert header is not None
    roles = [cell.strip() for cell in header.group(1).split("|")]
    assert roles == [r.value for r in Role]
    for permission in Permission:
        row = re.search(rf"^\| `{permission.value}` \|(.+)\|$", text, re.MULTILINE)
        assert row is not None, f"docs/security.md lacks {permission.value}"
        marks = [cell.strip() == "✓" for cell in row.group(1).split("|")]
        assert marks == [permission in ALLOWED[Role(r)] for r in roles], permission.value


def test_every_change_to_what_a_user_may_do_bumps_their_credentials_generation(
    conn: Connection,
) -> None:
    user_id, _ = service.create_user(conn, "Gen", "gen@example.com", "sales")
    other, _ = service.create_user(conn, "Admin", "boss@example.com", "admin")
    admin = Actor(other, "web")
    service.set_password(conn, "gen@example.com", "a service account's secret")  # 1
    token_id, token = service.create_token(conn, "gen@example.com", "t", ["read"])
    who = service.check_token(conn, token)
    assert who is not None and who.generation == service.generation_of(conn, user_id) == 1
    service.set_role(conn, admin, user_id, "csm")  # 2
    service.set_role(conn, admin, user_id, "csm")  # unchanged: no bump
    service.set_team(conn, admin, user_id, "east")  # 3
    service.revoke_token(conn, token_id)  # 4
    assert service.generation_of(conn, user_id) == 4
    service.set_active(conn, admin, user_id, False)
    assert service.generation_of(conn, user_id) is None  # inactive: nothing to remember
    service.set_active(conn, admin, user_id, True)
    assert service.generation_of(conn, user_id) == 6
    assert service.generation_of(conn, other) == 0
