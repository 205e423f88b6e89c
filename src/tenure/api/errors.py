"""Every API error answers as {error, detail} with its status code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException

from tenure.kit.error_words import choose, say
from tenure.kit.errors import TenureError
from tenure.storage.errors import StoreBusy, is_busy

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
    503: "busy",
}
# how a page (not an API call) shows an error: the web app supplies it
PageError = Callable[[Request, int, str], Response]


def error_response(status: int, detail: Any) -> JSONResponse:
    """Return the API's error shape."""
    return JSONResponse({"error": CODES.get(status, "error"), "detail": detail}, status)


def language(request: Request) -> str:
    """Return the API caller's language: ?lang=, their user's setting, Accept-Language."""
    who = getattr(request.state, "principal", None)
    return choose(
        request.query_params.get("lang"),
        getattr(who, "language", None),
        accept_language=request.headers.get("accept-language"),
    )


def install_error_handlers(app: FastAPI, prefix: str, page_error: PageError | None = None) -> None:
    """Answer errors under ``prefix`` as {error, detail}; others through ``page_error``."""

    def answer(request: Request, status: int, detail: Any) -> Response:
        if page_error is not None and not request.url.path.startswith(prefix):
            return page_error(request, status, str(detail))  # the page says it in its language
        if isinstance(detail, str):
            detail = say(detail, language(request))
        return error_response(status, detail)

    def busy(request: Request, exc: StoreBusy) -> Response:
        found = answer(request, 503, exc.message)
        found.headers["Retry-After"] = str(exc.retry_after)
        return found

    @app.exception_handler(TenureError)
    def _tenure(request: Request, exc: TenureError) -> Response:
        if isinstance(exc, StoreBusy):
            return busy(request, exc)
        return answer(request, exc.status_code, exc.message)

    @app.exception_handler(DBAPIError)
    def _database(request: Request, exc: DBAPIError) -> Response:
        # SQLite's write lock held past the busy timeout (a long import, say), PostgreSQL's
        # deadlock or serialization failure: nothing was changed, the client may try again
        if is_busy(exc):
            return busy(request, StoreBusy())
        raise exc

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
