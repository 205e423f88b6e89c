"""The FastAPI application: the overview page and the REST API (/api/v1, web/api.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from tenure import __version__
from tenure.domains.reports.service import store_overview
from tenure.domains.scoring.service import stage_report
from tenure.kit.i18n import pick_language, translate
from tenure.kit.settings import Settings
from tenure.web.api import PREFIX as API_PREFIX
from tenure.web.api import api_router, install_error_handlers
from tenure.web.charts import bar_chart

HERE = Path(__file__).parent


def _money(value: Any, currency: str) -> str:
    return f"{currency} {float(value):,.2f}"


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """Build the app on ``engine``; the store must already be migrated."""
    app = FastAPI(
        title="Tenure",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    install_error_handlers(app)
    app.include_router(api_router(engine))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    currency = settings.business.currency

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request, lang: str | None = None) -> HTMLResponse:
        language = pick_language(
            lang, request.headers.get("accept-language"), settings.business.locale
        )
        with engine.connect() as conn:
            data = store_overview(conn)
            stages = stage_report(conn)
        chart = bar_chart(
            [m.month for m in data.months],
            [float(m.revenue) for m in data.months],
            unit=f"{currency} ",
        )
        context = {
            "lang": language,
            "other": "zh" if language == "en" else "en",
            "t": lambda key, **kw: translate(key, language, **kw),
            "data": data,
            "chart": chart,
            "money": lambda v: _money(v, currency),
            "empty": data.counts["customers"] == 0,
            "stages": stages.as_dict() if stages else None,
        }
        return templates.TemplateResponse(request, "overview.html", context)

    return app
