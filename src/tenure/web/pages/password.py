"""Passwords: choose a new one after a one-time password, change one's own at any time."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.users import credentials, passwords
from tenure.domains.users.sessions import SignedIn
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the password pages to ``router``."""

    def form(
        request: Request,
        signed: SignedIn,
        problems: dict[str, str] | None = None,
        *,
        changed: bool = False,
    ) -> Response:
        answer = render.page(
            request,
            "password.html",
            signed,
            422 if problems else 200,
            forced=signed.must_change,
            problems=problems or {},
            changed=changed,
            min_length=credentials.MIN_LENGTH,
        )
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @router.get(session.CHOOSE_PAGE, include_in_schema=False)
    def choose_page(request: Request) -> Response:
        signed = session.current(engine, request, choosing_password=True)
        if not signed.must_change:
            return RedirectResponse("/password", 303)
        return form(request, signed)

    @router.get("/password", include_in_schema=False)
    def change_page(request: Request, changed: int = 0) -> Response:
        signed = session.current(engine, request, choosing_password=True)
        return form(request, signed, changed=bool(changed))

    @router.post("/password", include_in_schema=False)
    def change(
        request: Request,
        current: str = Form(""),
        new: str = Form(""),
        again: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        signed = session.posted(engine, request, csrf, choosing_password=True)
        try:
            with write_transaction(engine) as conn:
                passwords.change_password(
                    conn,
                    signed.principal.user_id,
                    current=None if signed.must_change else current,
                    new=new,
                    again=again,
                    keep_session=request.cookies.get(session.COOKIE),
                )
        except passwords.PasswordRefused as refused:
            return form(request, signed, refused.problems)
        target = "/" if signed.must_change else "/password?changed=1"
        return RedirectResponse(target, 303)
