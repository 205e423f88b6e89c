"""Users and API tokens: create, sign in, issue, check and revoke.

Every function takes the caller's connection; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tenure.domains.audit import service as audit
from tenure.domains.audit.service import Actor
from tenure.domains.users import credentials
from tenure.domains.users.models import ApiToken, Role, User, WebSession
from tenure.domains.users.permissions import SCOPES
from tenure.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from tenure.kit.timeutil import utcnow
from tenure.storage.rows import plain_rows

LAST_USE_PRECISION = timedelta(minutes=1)
# users and tokens are managed with `tenure users` on the server's own command line
COMMAND_LINE = Actor(None, "cli")
TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")  # as a playbook names it


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, or a user through one of their API tokens."""

    user_id: int
    email: str
    role: str
    scopes: list[str] | None = None  # None: a signed-in person, not a token
    generation: int = 0  # the user's credentials_generation when this was looked up
    language: str | None = None  # what they read Tenure in (an API error's words)


# what an API token of a user who must still change their one-time password is answered
MUST_CHANGE_FIRST = (
    "the API token's user {email} still has a one-time password: they must sign in and "
    "choose a new password (or an admin sets one: tenure users password {email}) before "
    "their tokens work"
)
BUMP = {"credentials_generation": User.credentials_generation + 1}


def generation_of(conn: Connection, user_id: int) -> int | None:
    """Return a user's credentials generation; None if they are gone or inactive."""
    row = conn.execute(
        select(User.credentials_generation, User.active).where(User.id == user_id)
    ).first()
    if row is None or not row.active:
        return None
    return int(row.credentials_generation)


def _role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}"
        ) from None


def create_user(
    conn: Connection,
    name: str,
    email: str,
    role: str,
    *,
    actor: Actor = COMMAND_LINE,
    team: str | None = None,
) -> tuple[int, str]:
    """Create a user with a one-time password; return (id, the password, shown only now)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address")
    if conn.execute(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(f"a user with the email {email} exists already")
    password = credentials.one_time_password()
    now = utcnow()
    user_id = conn.execute(
        insert(User)
        .values(
            name=name,
            email=email,
            role=_role(role),
            team=team_name(team),
            password_hash=credentials.hash_password(password),
            must_change_password=True,
            active=True,
            created_at=now,
            updated_at=now,
        )
        .returning(User.id)
    ).scalar_one()
    audit.record(
        conn,
        actor,
        "user.create",
        "users",
        user_id,
        after={"email": email, "role": role, "team": team_name(team)},
    )
    return int(user_id), password


def set_password(
    conn: Connection,
    email: str,
    password: str,
    *,
    actor: Actor = COMMAND_LINE,
    must_change: bool = False,
) -> None:
    """Give a user a new password (12 to 256 characters).

    ``must_change``: it is a one-time password, good for one sign-in that must choose another.
    """
    problem = credentials.length_problem(password)
    if problem:
        raise InvalidInput(f"password: {problem}")
    changed = conn.execute(
        update(User)
        .where(User.email == email.strip().lower())
        .values(
            password_hash=credentials.hash_password(password),
            must_change_password=must_change,
            updated_at=utcnow(),
            **BUMP,
        )
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
    row = conn.execute(
        select(User.id, User.email, User.role, User.password_hash, User.active).where(
            User.email == email.strip().lower()
        )
    ).first()
    if row is None or not row.active:
        credentials.spend_like_a_check(password)
        return None
    if not credentials.password_matches(row.password_hash, password):
        return None
    return Principal(int(row.id), row.email, row.role)


def record_sign_in(conn: Connection, who: Principal, password: str) -> None:
    """Note the sign-in; rehash the password if its hash's parameters are out of date.

    A one-time password is spent by this sign-in: it opens no other session, and the session it
    opened must choose a new password (``must_change_password`` stays set until then).
    """
    current = conn.execute(
        select(User.password_hash, User.must_change_password).where(User.id == who.user_id)
    ).one()
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if current.must_change_password:
        values["password_hash"] = None
    # a user who signed in has a hash (``check_password`` matched it)
    elif current.password_hash is not None and credentials.needs_rehash(current.password_hash):
        values["password_hash"] = credentials.hash_password(password)
    conn.execute(update(User).where(User.id == who.user_id).values(**values))


def create_token(
    conn: Connection, email: str, name: str, scopes: list[str], *, actor: Actor = COMMAND_LINE
) -> tuple[int, str]:
    """Issue an API token for a user; return (id, the token, shown only now)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}"
        )
    user_id = conn.execute(
        select(User.id).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user_id is None:
        raise NotFound(f"no user with the email {email}")
    token = credentials.new_token()
    token_id = conn.execute(
        insert(ApiToken)
        .values(
            user_id=user_id,
            name=name,
            prefix=token[:12],
            token_hash=credentials.token_digest(token),
            scopes=sorted(set(scopes)),
            created_at=utcnow(),
        )
        .returning(ApiToken.id)
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
    """Return who a token speaks for, or None when it is unknown, revoked or its user inactive.

    ``Forbidden`` when its user must still change a one-time password: a token is no way round
    the first sign-in.
    """
    row = conn.execute(
        select(
            ApiToken.id,
            ApiToken.scopes,
            ApiToken.last_used_at,
            User.id.label("user_id"),
            User.email,
            User.role,
            User.must_change_password,
            User.credentials_generation,
            User.language,
        )
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == credentials.token_digest(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    if row.must_change_password:
        raise Forbidden(MUST_CHANGE_FIRST.format(email=row.email))
    now = utcnow()
    # a minute's precision is enough, and spares a write (on SQLite, the store's write lock)
    # on every request of a busy client
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_PRECISION:
        conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return Principal(
        int(row.user_id),
        row.email,
        row.role,
        list(row.scopes),
        int(row.credentials_generation),
        row.language,
    )


def revoke_token(
    conn: Connection, token_id: int, when: datetime | None = None, *, actor: Actor = COMMAND_LINE
) -> None:
    """Revoke a token for good."""
    owner = conn.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=when or utcnow())
        .returning(ApiToken.user_id)
    ).scalar_one_or_none()
    if owner is None:
        raise NotFound(f"no active API token with id {token_id}")
    conn.execute(update(User).where(User.id == owner).values(**BUMP))
    audit.record(conn, actor, "token.revoke", "api_tokens", token_id)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Return every user (never their password hash)."""
    rows = conn.execute(
        select(
            User.id,
            User.name,
            User.email,
            User.role,
            User.team,
            User.active,
            User.last_login_at,
            User.must_change_password,
        ).order_by(User.id)
    )
    return plain_rows(rows.mappings())


def email_of(conn: Connection, user_id: int) -> str:
    """Return a user's email; NotFound if there is no such user."""
    found = conn.execute(select(User.email).where(User.id == user_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no user with id {user_id}")
    return str(found)


def list_tokens(conn: Connection) -> list[dict[str, Any]]:
    """Return every API token's record (its prefix, never the token)."""
    rows = conn.execute(
        select(
            ApiToken.id,
            User.email,
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.scopes,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.id)
    )
    return plain_rows(rows.mappings())


def set_language(conn: Connection, user_id: int, language: str | None) -> None:
    """Save the language a user reads Tenure in (None: follow the browser)."""
    conn.execute(update(User).where(User.id == user_id).values(language=language))


def issue_password(conn: Connection, email: str) -> str:
    """Give a user a fresh one-time password and return it (shown once, kept only hashed)."""
    password = credentials.one_time_password()
    set_password(conn, email, password, must_change=True)
    return password


def first_sign_in(conn: Connection, email: str) -> tuple[str | None, bool]:
    """Return (a new one-time password, or None if they chose their own; whether found).

    The demo prints a login each time it starts, without undoing a password the admin chose.
    """
    row = conn.execute(
        select(User.last_login_at, User.must_change_password).where(
            User.email == email.strip().lower()
        )
    ).first()
    if row is None:
        return None, False
    if row.last_login_at is not None and not row.must_change_password:
        return None, True
    return issue_password(conn, email), True


def set_role(conn: Connection, actor: Actor, user_id: int, role: str) -> None:
    """Give a user another role (their API tokens follow: scopes never exceed the role).

    Their sessions end: they sign in again under the new role. Their credentials generation is
    bumped: every server drops what it remembers of their API tokens at once.
    """
    old = conn.execute(select(User.role).where(User.id == user_id)).scalar_one_or_none()
    if old is None:
        raise NotFound(f"no user with id {user_id}")
    new = _role(role)
    if new == old:
        return
    conn.execute(
        update(User).where(User.id == user_id).values(role=new, updated_at=utcnow(), **BUMP)
    )
    conn.execute(delete(WebSession).where(WebSession.user_id == user_id))
    audit.record(
        conn, actor, "user.role", "users", user_id, before={"role": old}, after={"role": new}
    )


def team_name(team: str | None) -> str | None:
    """Return a team's name checked (lower case, digits, hyphens), or None for no team."""
    team = (team or "").strip().lower()
    if not team:
        return None
    if not TEAM_NAME.fullmatch(team):
        raise InvalidInput(
            f"team: {team!r} is not a team name: lower-case letters, digits and hyphens, "
            "e.g. success or sales-east"
        )
    return team


def set_team(conn: Connection, actor: Actor, user_id: int, team: str | None) -> None:
    """Put a user in a team (playbooks' tasks go round-robin among its members), or in none."""
    old = conn.execute(select(User.id, User.team).where(User.id == user_id)).first()
    if old is None:
        raise NotFound(f"no user with id {user_id}")
    new = team_name(team)
    if new == old.team:
        return
    # the team decides which records a team scope reaches
    conn.execute(
        update(User).where(User.id == user_id).values(team=new, updated_at=utcnow(), **BUMP)
    )
    audit.record(
        conn, actor, "user.team", "users", user_id, before={"team": old.team}, after={"team": new}
    )


def set_active(conn: Connection, actor: Actor, user_id: int, active: bool) -> None:
    """Let a user sign in again, or stop them: an inactive user's sessions end and tokens fail."""
    if actor.user_id == user_id and not active:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    changed = conn.execute(
        update(User).where(User.id == user_id).values(active=active, updated_at=utcnow(), **BUMP)
    ).rowcount
    if not changed:
        raise NotFound(f"no user with id {user_id}")
    if not active:
        conn.execute(delete(WebSession).where(WebSession.user_id == user_id))
    audit.record(conn, actor, "user.active", "users", user_id, after={"active": active})
