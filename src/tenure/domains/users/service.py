"""Users and API tokens: create, sign in, issue, check and revoke.

Every function takes the caller's connection; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tenure.domains.audit import service as audit
from tenure.domains.audit.service import Actor
from tenure.domains.registry import metadata
from tenure.domains.users import credentials
from tenure.domains.users.models import Role
from tenure.domains.users.permissions import SCOPES
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tenure.kit.timeutil import utcnow
from tenure.storage.rows import plain_rows

LAST_USE_PRECISION = timedelta(minutes=1)
# users and tokens are managed with `tenure users` on the server's own command line
COMMAND_LINE = Actor(None, "cli")


def _tables() -> tuple[Any, Any]:
    t = metadata().tables
    return t["users"], t["api_tokens"]


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, or a user through one of their API tokens."""

    user_id: int
    email: str
    role: str
    scopes: list[str] | None = None  # None: a signed-in person, not a token


def _role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}"
        ) from None


def create_user(
    conn: Connection, name: str, email: str, role: str, *, actor: Actor = COMMAND_LINE
) -> tuple[int, str]:
    """Create a user with a one-time password; return (id, the password, shown only now)."""
    users, _ = _tables()
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address")
    if conn.execute(select(users.c.id).where(users.c.email == email)).first() is not None:
        raise Conflict(f"a user with the email {email} exists already")
    password = credentials.one_time_password()
    now = utcnow()
    user_id = conn.execute(
        insert(users)
        .values(
            name=name,
            email=email,
            role=_role(role),
            password_hash=credentials.hash_password(password),
            active=True,
            created_at=now,
            updated_at=now,
        )
        .returning(users.c.id)
    ).scalar_one()
    audit.record(conn, actor, "user.create", "users", user_id, after={"email": email, "role": role})
    return int(user_id), password


def set_password(
    conn: Connection, email: str, password: str, *, actor: Actor = COMMAND_LINE
) -> None:
    """Give a user a new password (at least 12 characters)."""
    if len(password) < 12:
        raise InvalidInput("a password needs at least 12 characters")
    users, _ = _tables()
    changed = conn.execute(
        update(users)
        .where(users.c.email == email.strip().lower())
        .values(password_hash=credentials.hash_password(password), updated_at=utcnow())
    ).rowcount
    if not changed:
        raise NotFound(f"no user with the email {email}")
    audit.record(conn, actor, "user.password", "users", email.strip().lower())


def authenticate(conn: Connection, email: str, password: str) -> Principal | None:
    """Return the user if the email and password match an active user, else None."""
    who = check_password(conn, email, password)
    if who is not None:
        record_sign_in(conn, who, password)
    return who


def check_password(conn: Connection, email: str, password: str) -> Principal | None:
    """Return the active user whose email and password these are, else None; writes nothing.

    The slow part of a sign-in (the password hash): callers on SQLite run it before they take
    the write lock, so that a sign-in does not hold every writer up.
    """
    users, _ = _tables()
    row = conn.execute(
        select(
            users.c.id, users.c.email, users.c.role, users.c.password_hash, users.c.active
        ).where(users.c.email == email.strip().lower())
    ).first()
    if row is None or not row.active:
        credentials.spend_like_a_check(password)
        return None
    if not credentials.password_matches(row.password_hash, password):
        return None
    return Principal(int(row.id), row.email, row.role)


def record_sign_in(conn: Connection, who: Principal, password: str) -> None:
    """Note the sign-in; rehash the password if its hash's parameters are out of date."""
    users, _ = _tables()
    current = conn.execute(select(users.c.password_hash).where(users.c.id == who.user_id))
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if credentials.needs_rehash(current.scalar_one()):
        values["password_hash"] = credentials.hash_password(password)
    conn.execute(update(users).where(users.c.id == who.user_id).values(**values))


def create_token(
    conn: Connection, email: str, name: str, scopes: list[str], *, actor: Actor = COMMAND_LINE
) -> tuple[int, str]:
    """Issue an API token for a user; return (id, the token, shown only now)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}"
        )
    users, tokens = _tables()
    user_id = conn.execute(
        select(users.c.id).where(users.c.email == email.strip().lower())
    ).scalar_one_or_none()
    if user_id is None:
        raise NotFound(f"no user with the email {email}")
    token = credentials.new_token()
    token_id = conn.execute(
        insert(tokens)
        .values(
            user_id=user_id,
            name=name,
            prefix=token[:12],
            token_hash=credentials.token_digest(token),
            scopes=sorted(set(scopes)),
            created_at=utcnow(),
        )
        .returning(tokens.c.id)
    ).scalar_one()
    audit.record(
        conn,
        actor,
        "token.create",
        "api_tokens",
        token_id,
        after={"user": email.strip().lower(), "name": name, "scopes": sorted(set(scopes))},
    )
    return int(token_id), token


def check_token(conn: Connection, token: str) -> Principal | None:
    """Return who a token speaks for, or None when it is unknown, revoked or its user inactive."""
    users, tokens = _tables()
    row = conn.execute(
        select(
            tokens.c.id,
            tokens.c.scopes,
            tokens.c.last_used_at,
            users.c.id.label("user_id"),
            users.c.email,
            users.c.role,
        )
        .join(users, users.c.id == tokens.c.user_id)
        .where(
            tokens.c.token_hash == credentials.token_digest(token),
            tokens.c.revoked_at.is_(None),
            users.c.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    now = utcnow()
    # a minute's precision is enough, and spares a write (on SQLite, the store's write lock)
    # on every request of a busy client
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_PRECISION:
        conn.execute(update(tokens).where(tokens.c.id == row.id).values(last_used_at=now))
    return Principal(int(row.user_id), row.email, row.role, list(row.scopes))


def revoke_token(
    conn: Connection, token_id: int, when: datetime | None = None, *, actor: Actor = COMMAND_LINE
) -> None:
    """Revoke a token for good."""
    _, tokens = _tables()
    changed = conn.execute(
        update(tokens)
        .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        .values(revoked_at=when or utcnow())
    ).rowcount
    if not changed:
        raise NotFound(f"no active API token with id {token_id}")
    audit.record(conn, actor, "token.revoke", "api_tokens", token_id)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Return every user (never their password hash)."""
    users, _ = _tables()
    rows = conn.execute(
        select(
            users.c.id,
            users.c.name,
            users.c.email,
            users.c.role,
            users.c.active,
            users.c.last_login_at,
        ).order_by(users.c.id)
    )
    return plain_rows(rows.mappings())


def list_tokens(conn: Connection) -> list[dict[str, Any]]:
    """Return every API token's record (its prefix, never the token)."""
    users, tokens = _tables()
    rows = conn.execute(
        select(
            tokens.c.id,
            users.c.email,
            tokens.c.name,
            tokens.c.prefix,
            tokens.c.scopes,
            tokens.c.created_at,
            tokens.c.last_used_at,
            tokens.c.revoked_at,
        )
        .join(users, users.c.id == tokens.c.user_id)
        .order_by(tokens.c.id)
    )
    return plain_rows(rows.mappings())


def set_language(conn: Connection, user_id: int, language: str | None) -> None:
    """Save the language a user reads Tenure in (None: follow the browser)."""
    users, _ = _tables()
    conn.execute(update(users).where(users.c.id == user_id).values(language=language))


def issue_password(conn: Connection, email: str) -> str:
    """Give a user a fresh one-time password and return it (shown once, kept only hashed)."""
    password = credentials.one_time_password()
    set_password(conn, email, password)
    return password


def first_sign_in(conn: Connection, email: str) -> tuple[str | None, bool]:
    """Return (a new one-time password, or None if they have signed in before; whether found).

    The demo prints a login each time it starts, without undoing a password the admin chose.
    """
    users, _ = _tables()
    row = conn.execute(
        select(users.c.last_login_at).where(users.c.email == email.strip().lower())
    ).first()
    if row is None:
        return None, False
    if row.last_login_at is not None:
        return None, True
    return issue_password(conn, email), True


def set_role(conn: Connection, actor: Actor, user_id: int, role: str) -> None:
    """Give a user another role (their API tokens follow: scopes never exceed the role)."""
    users, _ = _tables()
    old = conn.execute(select(users.c.role).where(users.c.id == user_id)).scalar_one_or_none()
    if old is None:
        raise NotFound(f"no user with id {user_id}")
    new = _role(role)
    conn.execute(update(users).where(users.c.id == user_id).values(role=new, updated_at=utcnow()))
    audit.record(
        conn, actor, "user.role", "users", user_id, before={"role": old}, after={"role": new}
    )


def set_active(conn: Connection, actor: Actor, user_id: int, active: bool) -> None:
    """Let a user sign in again, or stop them: an inactive user's sessions end and tokens fail."""
    users, _ = _tables()
    if actor.user_id == user_id and not active:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    changed = conn.execute(
        update(users).where(users.c.id == user_id).values(active=active, updated_at=utcnow())
    ).rowcount
    if not changed:
        raise NotFound(f"no user with id {user_id}")
    if not active:
        sessions = metadata().tables["web_sessions"]
        conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
    audit.record(conn, actor, "user.active", "users", user_id, after={"active": active})
