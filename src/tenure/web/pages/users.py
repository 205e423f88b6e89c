"""Users (admins): who may sign in with which role; create, change role, stop; API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.api.auth import TOKENS
from tenure.api.params import PathId
from tenure.domains.users import passwords
from tenure.domains.users import service as users
from tenure.domains.users.models import Role
from tenure.domains.users.permissions import Permission
from tenure.domains.users.sessions import SignedIn
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the users page to ``router``."""

    def admin(request: Request, csrf: str | None = None) -> SignedIn:
        signed = session.current(engine, request)
        if csrf is not None:
            session.check_csrf(signed, csrf)
        session.require(signed, Permission.MANAGE_USERS)
        return signed

    def page(request: Request, signed: SignedIn, created: dict[str, str] | None = None) -> Response:
        with engine.connect() as conn:
            people = users.list_users(conn)
            tokens = users.list_tokens(conn)
        return render.page(
            request,
            "users.html",
            signed,
            people=people,
            tokens=tokens,
            roles=[r.value for r in Role],
            created=created,
        )

    @router.get("/users", include_in_schema=False)
    def users_page(request: Request) -> Response:
        return page(request, admin(request))

    @router.post("/users", include_in_schema=False)
    def create(
        request: Request,
        name: str = Form(""),
        email: str = Form(""),
        role: str = Form("viewer"),
        csrf: str = Form(""),
    ) -> Response:
        signed = admin(request, csrf)
        actor = session.actor(signed)
        with write_transaction(engine) as conn:
            _, password = users.create_user(conn, name.strip(), email, role, actor=actor)
        # shown once, on this answer only; the page is not cached
        answer = page(request, signed, {"email": email.strip().lower(), "password": password})
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @router.post("/users/{user_id}/role", include_in_schema=False)
    def change_role(
        request: Request, user_id: PathId, role: str = Form(...), csrf: str = Form("")
    ) -> Response:
        signed = admin(request, csrf)
        with write_transaction(engine) as conn:
            users.set_role(conn, session.actor(signed), user_id, role)
        TOKENS.clear()  # the API answers the change at once in this process
        return RedirectResponse("/users", 303)

    @router.post("/users/{user_id}/password", include_in_schema=False)
    def reset_password(request: Request, user_id: PathId, csrf: str = Form("")) -> Response:
        """Give a user a one-time password (shown once) and end their sessions."""
        signed = admin(request, csrf)
        with write_transaction(engine) as conn:
            email = users.email_of(conn, user_id)
            _, password = passwords.reset_password(conn, email, actor=session.actor(signed))
        TOKENS.clear()  # the API answers the change at once in this process
        if user_id == signed.principal.user_id:  # their own session has ended with the others
            return RedirectResponse("/login", 303)
        answer = page(request, signed, {"email": email, "password": password})
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @router.post("/users/{user_id}/team", include_in_schema=False)
    def change_team(
        request: Request, user_id: PathId, team: str = Form(""), csrf: str = Form("")
    ) -> Response:
        signed = admin(request, csrf)
        with write_transaction(engine) as conn:
            users.set_team(conn, session.actor(signed), user_id, team or None)
        return RedirectResponse("/users", 303)

    @router.post("/users/{user_id}/active", include_in_schema=False)
    def change_active(
        request: Request, user_id: PathId, active: str = Form(...), csrf: str = Form("")
    ) -> Response:
        signed = admin(request, csrf)
        with write_transaction(engine) as conn:
            users.set_active(conn, session.actor(signed), user_id, active == "yes")
        TOKENS.clear()  # the API answers the change at once in this process
        return RedirectResponse("/users", 303)

    @router.post("/tokens/{token_id}/revoke", include_in_schema=False)
    def revoke(request: Request, token_id: PathId, csrf: str = Form("")) -> Response:
        signed = admin(request, csrf)
        with write_transaction(engine) as conn:
            users.revoke_token(conn, token_id, actor=session.actor(signed))
        TOKENS.clear()  # the API answers the change at once in this process
        return RedirectResponse("/users", 303)
