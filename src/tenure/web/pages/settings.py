"""Settings: stage thresholds and health weights — checked, saved, used by the next run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.preferences import service as preferences
from tenure.domains.users.permissions import Permission
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import HealthSettings, StageSettings
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer

STAGE_FIELDS = [n for n in StageSettings.model_fields if n != "preset"]
SIGNALS = ("p_alive", "recency", "activity", "nps", "complaints")


def _form_values(group: str, form: dict[str, Any]) -> dict[str, Any]:
    """Turn the posted form into the group's values (numbers stay text for pydantic)."""
    if group == "stages":
        return {k: form[k] for k in STAGE_FIELDS if k in form}
    weights = {s: form.get(f"weight_{s}", "0") or "0" for s in SIGNALS}
    try:
        parsed = {s: float(v) for s, v in weights.items()}
    except ValueError:
        raise InvalidInput("weights: each weight is a number ≥ 0") from None
    return {
        "weights": parsed,
        "green_from": form.get("green_from"),
        "red_below": form.get("red_below"),
    }


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the settings page to ``router``."""

    def page(request: Request, error: str | None = None, status: int = 200) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.CHANGE_SETTINGS)
        with engine.connect() as conn:
            current = preferences.effective(conn, render.settings)
            saved = preferences.stored(conn)
        return render.page(
            request,
            "settings.html",
            signed,
            status,
            stages=current.stages,
            health=current.health,
            saved=saved,
            error=error,
            stage_fields=[(n, StageSettings.model_fields[n].description) for n in STAGE_FIELDS],
            signals=SIGNALS,
            health_fields=HealthSettings.model_fields,
        )

    @router.get("/settings", include_in_schema=False)
    def settings_page(request: Request) -> Response:
        return page(request)

    @router.post("/settings/{group}", include_in_schema=False)
    async def save(request: Request, group: str) -> Response:
        form = dict(await request.form())
        signed = session.posted(
            engine, request, str(form.get("csrf", "")), Permission.CHANGE_SETTINGS
        )
        actor = session.actor(signed)
        try:
            with write_transaction(engine) as conn:
                if form.get("reset"):
                    preferences.reset(conn, actor, group)
                else:
                    values = _form_values(group, {k: str(v) for k, v in form.items()})
                    preferences.save(conn, actor, group, values, render.settings)
        except InvalidInput as exc:
            return page(request, exc.message, 422)
        return RedirectResponse("/settings?saved=" + group, 303)
