"""The FastAPI application: the web app's pages and the REST API (/api/v1, tenure.api)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from tenure import __version__
from tenure.api import PREFIX, api_router, install_error_handlers
from tenure.api.limits import RequestLimits
from tenure.domains.users.sessions import SignedIn
from tenure.kit.error_words import say
from tenure.kit.settings import Settings
from tenure.web import kept_form, session
from tenure.web.pages import (
    audit,
    auth,
    calls,
    channels,
    cross_sell,
    customer,
    customers,
    feedback,
    loyalty,
    messages,
    overview,
    password,
    playbook_dry_run,
    playbooks,
    runs,
    segments,
    stages,
    survey_answer,
    tasks,
    unsubscribe,
    users,
    value,
)
from tenure.web.pages import settings as settings_page
from tenure.web.render import Renderer
from tenure.worker.server import ServerWorker

HERE = Path(__file__).parent


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """Build the app on ``engine``; the store must already be migrated."""
    worker = ServerWorker(engine, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.server.threads
        worker.start()
        yield
        worker.shutdown()

    app = FastAPI(
        title="Tenure",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    render = Renderer(settings)

    def page_error(request: Request, status: int, detail: str) -> Response:
        back = kept_form.back_to_form(request) if status == 422 else None
        signed = _signed_or_none(engine, request)
        detail = say(detail, render.language(request, signed))
        answer = render.page(
            request,
            "error.html",
            signed,
            status,
            status=status,
            detail=detail,
            back=back,
        )
        if back is not None:  # the form's own page shows it again, filled in
            kept_form.keep(answer, request, back, detail)
        return answer

    install_error_handlers(app, PREFIX, page_error)
    app.add_middleware(kept_form.FormBodyTee, api_prefix=PREFIX)

    @app.exception_handler(session.SignInRequired)
    def _sign_in(_: Request, exc: session.SignInRequired) -> Response:
        return RedirectResponse(exc.next_url, status_code=303)

    @app.exception_handler(session.Forbidden)
    def _forbidden(request: Request, exc: session.Forbidden) -> Response:
        return page_error(request, 403, f"forbidden:{exc}")

    @app.exception_handler(session.BadForm)
    def _bad_form(request: Request, _: session.BadForm) -> Response:
        return page_error(request, 403, "bad_form")

    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.server.max_body_bytes,
        max_header_bytes=settings.server.max_header_bytes,
    )
    app.include_router(api_router(engine, settings, worker))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages = APIRouter()
    for area in (
        auth,
        password,
        unsubscribe,
        survey_answer,
        overview,
        customers,
        customer,
        tasks,
        calls,
        playbooks,
        messages,
        stages,
        value,
        segments,
        loyalty,
        channels,
        feedback,
        cross_sell,
    ):
        area.routes(engine, render, pages)
    runs.routes(engine, render, worker, pages)
    playbook_dry_run.routes(engine, render, worker, pages)
    for admin_area in (settings_page, users, audit):
        admin_area.routes(engine, render, pages)
    app.include_router(pages)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def app_from_settings() -> FastAPI:
    """Build the app from the environment's settings (for ``uvicorn --factory`` workers)."""
    from tenure.kit.settings import load_settings
    from tenure.storage.engine import engine_for

    settings = load_settings()
    return create_app(engine_for(settings.database), settings)


def _signed_or_none(engine: Engine, request: Request) -> SignedIn | None:
    try:
        return session.current(engine, request)
    except session.SignInRequired:
        return None
