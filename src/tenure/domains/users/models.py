"""ORM models of Tenure's users and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped


class Role(StrEnum):
    """What a user is allowed to do (docs/security.md; ``permissions.ALLOWED``)."""

    ADMIN = "admin"
    MANAGER = "manager"
    MARKETING = "marketing"
    SALES = "sales"
    CSM = "csm"
    VIEWER = "viewer"


class User(Timestamped, Base):
    """A person who signs in to Tenure and may own customers."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
    # argon2id; None: the user cannot sign in until a password is set
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # a one-time password was handed out: it opens one session, which must choose a new one
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(8))  # en or zh; None: the browser's
    # a team a playbook's task may go to, round-robin among its active members ("success")
    team: Mapped[str | None] = mapped_column(String(63))
    # bumped by a password reset, a role or team change, a deactivation, a revoked token: a
    # server's remembered API callers are checked against it on every call (api/auth.py)
    credentials_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class ApiToken(Base):
    """A token another system sends as ``Authorization: Bearer …``; kept only as a hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds a random key, the store only its digest."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))  # every form and HTMX call sends it
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginAttempt(Base):
    """A failed sign-in; too many for one email or one address in a while are refused."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
