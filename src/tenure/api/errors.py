"""Every API error answers as {error, detail} with its status code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from tenure.kit.errors import TenureError

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    431: "headers_too_large",
}
# how a page (not an API call) shows an error: the web app supplies it
PageError = Callable[[Request, int, str], Response]


def error_response(status: int, detail: Any) -> JSONResponse:
    """Return the API's error shape."""
    return JSONResponse({"error": CODES.get(status, "error"), "detail": detail}, status)


def install_error_handlers(app: FastAPI, prefix: str, page_error: PageError | None = None) -> None:
    """Answer errors under ``prefix`` as {error, detail}; others through ``page_error``."""

    def answer(request: Request, status: int, detail: Any) -> Response:
        if page_error is not None and not request.url.path.startswith(prefix):
            return page_error(request, status, str(detail))
        return error_response(status, detail)

    @app.exception_handler(TenureError)
    def _tenure(request: Request, exc: TenureError) -> Response:
        return answer(request, exc.status_code, exc.message)

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> Response:
        return answer(request, exc.status_code, exc.detail)

    @app.exception_handler(IntegrityError)
    def _integrity(request: Request, exc: IntegrityError) -> Response:
        # a unique key taken meanwhile by another request, say: the store refused, nothing changed
        return answer(request, 409, f"the store refused the change: {exc.orig}")

    @app.exception_handler(RecursionError)
    def _deep(request: Request, _: RecursionError) -> Response:
        # JSON nested thousands deep: json.loads gives up before any route sees it
        return answer(request, 422, "body: nested too deeply")

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return answer(request, 422, "; ".join(problems))
