"""A user changes their own password; an administrator resets someone's.

Every function takes the caller's connection; the caller commits. Each bumps the user's
``credentials_generation``: servers drop what they remember of the user's API tokens at once.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update

from tenure.domains.audit import service as audit
from tenure.domains.audit.service import Actor
from tenure.domains.users import credentials
from tenure.domains.users import service as users
from tenure.domains.users.models import User, WebSession
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.timeutil import utcnow

# what a form shows beside each field: field → the reason's key (the page words it)
CURRENT_WRONG = "current_wrong"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
MISMATCH = "mismatch"
UNCHANGED = "unchanged"


class PasswordRefused(InvalidInput):
    """A new password that cannot be taken; ``problems`` says why, field by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in problems.items()))
        self.problems = problems


def problems(current: str | None, new: str, again: str) -> dict[str, str]:
    """Return what is wrong with a new password, field by field (empty: nothing)."""
    found: dict[str, str] = {}
    if len(new) < credentials.MIN_LENGTH:
        found["new"] = TOO_SHORT
    elif len(new) > credentials.MAX_LENGTH:
        found["new"] = TOO_LONG
    elif current is not None and new == current:
        found["new"] = UNCHANGED
    if "new" not in found and again != new:
        found["again"] = MISMATCH
    return found


def change_password(
    conn: Connection,
    user_id: int,
    *,
    current: str | None,
    new: str,
    again: str,
    keep_session: str | None = None,
) -> None:
    """Set a user's own new password; end their other sessions.

    ``current`` is checked unless the user signed in with a one-time password, which is spent
    (they must choose a new one, and cannot give the old one again). ``keep_session``: the
    cookie key of the session asking, which stays open.
    """
    row = conn.execute(
        select(User.email, User.password_hash, User.must_change_password).where(User.id == user_id)
    ).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    found: dict[str, str] = {}
    if not row.must_change_password and not credentials.password_matches(
        row.password_hash, current or ""
    ):
        found["current"] = CURRENT_WRONG
    found |= problems(None if row.must_change_password else current, new, again)
    if found:
        raise PasswordRefused(found)
    conn.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            password_hash=credentials.hash_password(new),
            must_change_password=False,
            credentials_generation=User.credentials_generation + 1,
            updated_at=utcnow(),
        )
    )
    others = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_session is not None:
        others = others.where(WebSession.key_hash != credentials.token_digest(keep_session))
    conn.execute(others)
    by_themselves = Actor(user_id, "web")
    audit.record(conn, by_themselves, "user.password", "users", user_id)


def reset_password(
    conn: Connection, email: str, *, actor: Actor = users.COMMAND_LINE
) -> tuple[int, str]:
    """Give a user a one-time password and end their sessions: (their id, the password).

    The password opens one session, which must choose a new one.
    """
    email = email.strip().lower()
    user_id = conn.execute(select(User.id).where(User.email == email)).scalar_one_or_none()
    if user_id is None:
        raise NotFound(f"no user with the email {email}")
    password = credentials.one_time_password()
    users.set_password(conn, email, password, actor=actor, must_change=True)
    conn.execute(delete(WebSession).where(WebSession.user_id == user_id))
    audit.record(conn, actor, "user.password_reset", "users", user_id)
    return int(user_id), password
