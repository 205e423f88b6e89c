"""The REST API under /api/v1: other systems read Tenure with a bearer token.

Every route names the permission it needs (``PERMISSIONS``); the token's user must have it
through their role *and* the token's scopes (docs/security.md). Errors are
``{"error": code, "detail": message}`` with the matching status: 401 without a valid token,
403 when the role or scopes do not allow the route, 404 for what does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tenure.domains.customers import service as customers
from tenure.domains.scoring import service as scoring
from tenure.domains.users import service as users
from tenure.domains.users.permissions import Permission, allows
from tenure.kit.errors import TenureError

PREFIX = "/api/v1"
# route path → what it needs; the routes × roles test walks this with every role
PERMISSIONS: dict[str, Permission] = {}
_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}


def _error(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"error": _CODES.get(status, "error"), "detail": detail}, status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every API error as {error, detail}."""

    @app.exception_handler(TenureError)
    def _tenure(_: Request, exc: TenureError) -> JSONResponse:
        return _error(exc.status_code, exc.message)

    @app.exception_handler(HTTPException)
    def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, exc.detail)

    @app.exception_handler(RequestValidationError)
    def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _error(422, "; ".join(problems))


def api_router(engine: Engine) -> APIRouter:
    """Build the /api/v1 routes on ``engine``."""
    router = APIRouter(prefix=PREFIX)

    def needs(permission: Permission) -> Callable[[Request], users.Principal]:
        def check(request: Request) -> users.Principal:
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise HTTPException(401, "send an API token: Authorization: Bearer TOKEN")
            with engine.begin() as conn:
                who = users.check_token(conn, token.strip())
            if who is None:
                raise HTTPException(401, "the API token is unknown or revoked")
            if not allows(who.role, permission, who.scopes):
                raise HTTPException(
                    403, f"this token (role {who.role}, scopes {who.scopes}) may not {permission}"
                )
            return who

        return check

    def route(path: str, permission: Permission) -> Callable[[Any], Any]:
        PERMISSIONS[PREFIX + path] = permission
        return router.get(path, dependencies=[Depends(needs(permission))])

    @route("/customers", Permission.READ_CUSTOMERS)
    def list_customers(
        after: int | None = Query(None, description="The cursor: `next` of the previous page."),
        limit: int = Query(50, ge=1, le=500),
        stage: str | None = Query(None, description="Only customers in this stage."),
    ) -> dict[str, Any]:
        """List customers with their current stage and key scores, by id, a page at a time."""
        with engine.connect() as conn:
            items, cursor = customers.page(conn, after=after, limit=limit, stage=stage)
        return {"items": items, "next": cursor}

    @route("/customers/{customer_id}", Permission.READ_CUSTOMERS)
    def get_customer(customer_id: int) -> dict[str, Any]:
        """Return one customer: profile, current stage with its reason, scores, stage history."""
        with engine.connect() as conn:
            return customers.profile(conn, customer_id)

    @route("/runs", Permission.READ_REPORTS)
    def list_runs(limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        """List the scoring runs, newest day first, with their timings and the models' quality."""
        with engine.connect() as conn:
            return {"items": scoring.run_list(conn, limit)}

    @route("/kpis", Permission.READ_REPORTS)
    def latest_kpis() -> dict[str, Any]:
        """Return the KPIs of the latest scoring run (docs/metrics.md)."""
        with engine.connect() as conn:
            found = scoring.kpi_report(conn)
        if found is None:
            raise HTTPException(404, "no scoring run yet: run `tenure score`")
        return found

    return router
