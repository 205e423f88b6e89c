"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.users import service as users
from tenure.domains.users import sessions
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.i18n import LANGUAGES
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the sign-in pages to ``router``."""

    def login_page(
        request: Request, next_url: str, error: str | None = None, status: int = 200
    ) -> Response:
        token = session.login_csrf(request)
        response = render.page(
            request,
            "login.html",
            None,
            status,
            next=session.safe_next(next_url),
            error=error,
            login_csrf=token,
        )
        session.keep_login_csrf(request, response, token)
        return response

    @router.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
        return login_page(request, next)

    @router.post("/login", include_in_schema=False)
    def login(
        request: Request,
        email: str = Form(""),
        password: str = Form(""),
        csrf: str = Form(""),
        next: str = Form("/"),  # noqa: A002
    ) -> Response:
        session.check_login_csrf(request, csrf)
        address = request.client.host if request.client else "unknown"
        try:
            # counted (and committed) before the password is checked: a burst of sign-ins
            # sees itself, and at most the limit of passwords are checked
            with write_transaction(engine) as conn:
                sessions.count_attempt(conn, email, address)
        except sessions.TooManyAttempts:
            return login_page(request, next, "too_many", 429)
        # the password hash is the slow part: checked without the write lock
        with engine.connect() as conn:
            who = users.check_password(conn, email, password)
        if who is None:
            return login_page(request, next, "wrong", 401)
        with write_transaction(engine) as conn:
            key, opened = sessions.open_session(conn, who, password)
        # a one-time password's session chooses a new password before anything else
        target = "/password/new" if opened.must_change else session.safe_next(next)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            session.COOKIE,
            key,
            max_age=int(sessions.LIFETIME.total_seconds()),
            **session.cookie_options(request),
        )
        return response

    @router.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        # signed in, and the form is theirs (a one-time password's session may leave too)
        session.posted(engine, request, csrf, choosing_password=True)
        with write_transaction(engine) as conn:
            sessions.sign_out(conn, request.cookies.get(session.COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(session.COOKIE, path="/")
        return response

    @router.post("/language", include_in_schema=False)
    def language(
        request: Request,
        lang: str = Form(...),
        csrf: str = Form(""),
        next: str = Form("/"),  # noqa: A002
    ) -> Response:
        """Save the signed-in user's language (the header's switch)."""
        signed = session.posted(engine, request, csrf, choosing_password=True)
        chosen = lang if lang in LANGUAGES else None
        with write_transaction(engine) as conn:
            users.set_language(conn, signed.principal.user_id, chosen)
        return RedirectResponse(session.safe_next(next), status_code=303)
