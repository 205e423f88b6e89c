"""Who is signed in, and is this form theirs: session cookies and CSRF tokens.

The session cookie is HttpOnly (no script reads it), SameSite=Lax (other sites' forms do not
carry it) and Secure when the request came over HTTPS (directly or through a proxy that says
so). Every form posts the session's CSRF token besides; the sign-in form, before there is a
session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from sqlalchemy import Engine

from tenure.domains.audit.service import Actor
from tenure.domains.users import sessions
from tenure.domains.users.permissions import Permission, allows

COOKIE = "tenure_session"
CHOOSE_PAGE = "/password/new"  # where a one-time password's session must go first
LOGIN_CSRF_COOKIE = "tenure_login_csrf"


class SignInRequired(Exception):
    """The page needs a signed-in user; the app answers with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """The signed-in user's role does not allow this page or action."""


class BadForm(Exception):
    """A form without the right CSRF token (stale page, or another site's form)."""


def cookie_options(request: Request) -> dict[str, Any]:
    """Return the flags every cookie of ours is set with."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
    }


def current(
    engine: Engine, request: Request, *, choosing_password: bool = False
) -> sessions.SignedIn:
    """Return the signed-in user of this request, or raise ``SignInRequired``.

    A session opened with a one-time password reaches only the page that chooses a new one
    (``choosing_password``): every other page sends it there.
    """
    key = request.cookies.get(COOKIE)
    if key:
        with engine.connect() as conn:
            found = sessions.session_of(conn, key)
        if found is not None:
            if found.must_change and not choosing_password:
                raise SignInRequired(CHOOSE_PAGE)
            return found
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SignInRequired("/login?next=" + quote(target, safe="/"))


def require(signed: sessions.SignedIn, permission: Permission) -> None:
    """Raise ``Forbidden`` unless the user's role allows ``permission``."""
    if not allows(signed.principal.role, permission):
        raise Forbidden(permission.value)


def check_csrf(signed: sessions.SignedIn, sent: str | None) -> None:
    """Raise ``BadForm`` unless ``sent`` is the session's CSRF token."""
    if not sent or not secrets.compare_digest(sent, signed.csrf_token):
        raise BadForm


def posted(
    engine: Engine,
    request: Request,
    csrf: str | None,
    permission: Permission | None = None,
    *,
    choosing_password: bool = False,
) -> sessions.SignedIn:
    """Return the user behind a form post: signed in, the form theirs, allowed ``permission``."""
    signed = current(engine, request, choosing_password=choosing_password)
    check_csrf(signed, csrf)
    if permission is not None:
        require(signed, permission)
    return signed


def actor(signed: sessions.SignedIn) -> Actor:
    """Return the audit log's name for a change made in the web app."""
    return Actor(signed.principal.user_id, "web")


def login_csrf(request: Request) -> str:
    """Return the sign-in form's token: the browser's cookie, else a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def keep_login_csrf(request: Request, response: Response, token: str) -> None:
    """Set the sign-in token's cookie when the browser does not have it yet."""
    if request.cookies.get(LOGIN_CSRF_COOKIE) != token:
        response.set_cookie(LOGIN_CSRF_COOKIE, token, **cookie_options(request))


def check_login_csrf(request: Request, sent: str | None) -> None:
    """Raise ``BadForm`` unless the sign-in form's token matches its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        raise BadForm


def safe_next(target: str | None) -> str:
    """Return where to go after signing in: only a path on this site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
