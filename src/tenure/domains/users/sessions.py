"""Browser sessions and the sign-in throttle.

The cookie holds a random key; the store keeps its SHA-256 digest, so a copy of the database
opens no session. Each session has its own CSRF token that every form sends back. Failed
sign-ins are counted in the store (every server process sees them): after ``PER_EMAIL``
failures for one email, or ``PER_ADDRESS`` from one address, within ``WINDOW``, sign-in is
refused until the window has passed — even with the right password.

An attempt is counted *before* its password is checked, in a transaction that holds the
store's write lock (SQLite) or a lock on the email and the address (PostgreSQL): a burst of
simultaneous sign-ins checks at most ``PER_EMAIL`` passwords. A sign-in that succeeds clears
its email's count.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.orm import InstrumentedAttribute

from tenure.domains.users import credentials
from tenure.domains.users import service as users_service
from tenure.domains.users.models import LoginAttempt, User, WebSession
from tenure.domains.users.service import Principal
from tenure.kit.errors import TenureError
from tenure.kit.timeutil import utcnow

LIFETIME = timedelta(days=7)
WINDOW = timedelta(minutes=15)
PER_EMAIL = 5
PER_ADDRESS = 20


class TooManyAttempts(TenureError):
    """Sign-in is paused for this email or address after repeated failures."""

    status_code = 429


@dataclass(frozen=True)
class SignedIn:
    """A browser's session: who it is and the CSRF token its forms must carry."""

    principal: Principal
    name: str
    csrf_token: str
    language: str | None = None  # the user's chosen language; None: the browser's
    must_change: bool = False  # opened with a one-time password: choose a new one first


def _failures(
    conn: Connection, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    return int(
        conn.execute(
            select(func.count()).where(column == value, LoginAttempt.at >= since)
        ).scalar_one()
    )


def sign_in(
    conn: Connection, email: str, password: str, address: str, now: datetime | None = None
) -> tuple[str, SignedIn] | None:
    """Count the attempt, check the password and open a session: (cookie key, session), or None.

    Raises ``TooManyAttempts`` while the email or the address is paused. All in the caller's
    transaction; the web app commits the count before the slow check (``count_attempt``).
    """
    now = now or utcnow()
    count_attempt(conn, email, address, now)
    who = users_service.check_password(conn, email, password)
    if who is None:
        return None
    return open_session(conn, who, password, now)


def _lock_key(kind: str, value: str) -> int:
    digest = hashlib.sha256(f"{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock(conn: Connection, email: str, address: str) -> None:
    """Serialise counting for this email and this address until the transaction ends.

    SQLite: the writer's transaction (BEGIN IMMEDIATE) already holds the only write lock.
    PostgreSQL: two transaction-scoped advisory locks, always taken in the same order.
    """
    if conn.dialect.name != "postgresql":
        return
    for key in sorted({_lock_key("email", email), _lock_key("address", address)}):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def count_attempt(conn: Connection, email: str, address: str, now: datetime | None = None) -> None:
    """Count a sign-in attempt before its password is checked, or refuse it.

    Raises ``TooManyAttempts`` while the email or the address is paused (the refused attempt
    is not counted). The caller commits before checking the password, so that simultaneous
    attempts see each other; one that succeeds clears its email's count (``open_session``).
    """
    now = now or utcnow()
    email, address = email.strip().lower()[:320], address[:64]
    _lock(conn, email, address)
    since = now - WINDOW
    if (
        _failures(conn, LoginAttempt.email, email, since) >= PER_EMAIL
        or _failures(conn, LoginAttempt.address, address, since) >= PER_ADDRESS
    ):
        raise TooManyAttempts(
            f"too many failed sign-ins; try again in {WINDOW.seconds // 60} minutes"
        )
    conn.execute(insert(LoginAttempt).values(at=now, email=email, address=address))


def open_session(
    conn: Connection, who: Principal, password: str, now: datetime | None = None
) -> tuple[str, SignedIn]:
    """Open a session for a user whose password was checked: (cookie key, session)."""
    now = now or utcnow()
    users_service.record_sign_in(conn, who, password)
    conn.execute(delete(LoginAttempt).where(LoginAttempt.email == who.email))
    conn.execute(delete(WebSession).where(WebSession.expires_at < now))  # tidy as we go
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(
        insert(WebSession).values(
            key_hash=credentials.token_digest(key),
            user_id=who.user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    must_change = bool(
        conn.execute(select(User.must_change_password).where(User.id == who.user_id)).scalar_one()
    )
    return key, SignedIn(who, _name(conn, who.user_id), csrf, must_change=must_change)


def _name(conn: Connection, user_id: int) -> str:
    return str(conn.execute(select(User.name).where(User.id == user_id)).scalar_one())


def session_of(conn: Connection, key: str, now: datetime | None = None) -> SignedIn | None:
    """Return the live session a cookie key opens, or None (expired, signed out, inactive)."""
    row = conn.execute(
        select(
            WebSession.csrf_token,
            User.id,
            User.email,
            User.role,
            User.name,
            User.language,
            User.must_change_password,
        )
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.key_hash == credentials.token_digest(key),
            WebSession.expires_at > (now or utcnow()),
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    return SignedIn(
        Principal(int(row.id), row.email, row.role),
        row.name,
        row.csrf_token,
        row.language,
        bool(row.must_change_password),
    )


def sign_out(conn: Connection, key: str) -> None:
    """End the session a cookie key opens."""
    conn.execute(delete(WebSession).where(WebSession.key_hash == credentials.token_digest(key)))


def end_all(conn: Connection, user_id: int) -> None:
    """End every session of a user (after a password change or deactivation)."""
    conn.execute(delete(WebSession).where(WebSession.user_id == user_id))
