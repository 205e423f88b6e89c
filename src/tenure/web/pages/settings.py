"""Settings: stage thresholds and health weights — checked, saved, used by the next run."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.preferences import service as preferences
from tenure.domains.users.permissions import Permission
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import AutomationSettings, HealthSettings, StageSettings
from tenure.kit.settings.leads import FIT_FIELDS
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer

STAGE_FIELDS = [n for n in StageSettings.model_fields if n != "preset"]
SIGNALS = ("p_alive", "recency", "activity", "nps", "complaints")


FIT_OPERATORS = ("=", "!=", "in", "not_in")
BLANK_RULES = 2  # empty rows under the rules, to add one


def _rule_value(field: str, op: str, text: str) -> Any:
    """Read a rule's value as typed: a list for in/not_in, yes/no for a consent."""
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    if field.endswith("_consent"):
        flags = [p.lower() in ("yes", "true", "1", "是") for p in parts]
        return flags if op in ("in", "not_in") else (flags[0] if flags else True)
    return parts if op in ("in", "not_in") else text.strip()


def _rules(form: dict[str, Any]) -> list[dict[str, Any]]:
    """Read the ideal-customer rules' rows; a row without a field is left out (deleted)."""
    rules = []
    n = 0
    while f"rule_{n}_field" in form:
        field = form[f"rule_{n}_field"].strip()
        op = form.get(f"rule_{n}_op", "=")
        if field:
            if op not in FIT_OPERATORS:
                raise InvalidInput(f"fit_rules.{n}.op: one of {', '.join(FIT_OPERATORS)}")
            label = {k: form.get(f"rule_{n}_{k}", "").strip() for k in ("en", "zh")}
            rules.append(
                {
                    "when": {
                        "field": field,
                        "op": op,
                        "value": _rule_value(field, op, form.get(f"rule_{n}_value", "")),
                    },
                    "points": form.get(f"rule_{n}_points", "") or "0",
                    "label": {k: v for k, v in label.items() if v},
                }
            )
        n += 1
    return rules


def _form_values(group: str, form: dict[str, Any]) -> dict[str, Any]:
    """Turn the posted form into the group's values (numbers stay text for pydantic)."""
    if group == "leads":
        return {
            "fit_rules": _rules(form),
            **{k: form.get(k) for k in ("fit_weight", "hot_from", "cold_below") if k in form},
        }
    if group == "stages":
        return {k: form[k] for k in STAGE_FIELDS if k in form}
    if group == "automation":  # saved by `tenure demo`; no form of its own yet
        return {k: form[k] for k in AutomationSettings.model_fields if k in form}
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


def _field_errors(message: str | None) -> dict[str, str]:
    """Split "field: why; field: why" into the form's input names → why (shown beside each)."""
    found: dict[str, str] = {}
    for part in (message or "").split("; "):
        name, sep, why = part.partition(": ")
        if sep:
            found.setdefault(name.replace("weights.", "weight_"), why)
    return found


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
            leads=current.leads,
            fit_fields=FIT_FIELDS,
            fit_operators=FIT_OPERATORS,
            blank_rules=BLANK_RULES,
            saved=saved,
            error=error,
            field_errors=_field_errors(error),
            stage_fields=[(n, StageSettings.model_fields[n].description) for n in STAGE_FIELDS],
            signals=SIGNALS,
            health_fields=HealthSettings.model_fields,
        )

    @router.get("/settings", include_in_schema=False)
    def settings_page(request: Request) -> Response:
        return page(request)

    @router.post("/settings/{group}", include_in_schema=False)
    async def save(request: Request, group: str) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}

        def store() -> Response:
            # on a worker thread: the session look-up, the write (which may wait for the
            # store's write lock) and the page must not hold up the event loop
            signed = session.posted(
                engine, request, form.get("csrf", ""), Permission.CHANGE_SETTINGS
            )
            actor = session.actor(signed)
            try:
                with write_transaction(engine) as conn:
                    if form.get("reset"):
                        preferences.reset(conn, actor, group)
                    else:
                        values = _form_values(group, form)
                        preferences.save(conn, actor, group, values, render.settings)
            except InvalidInput as exc:
                return page(request, exc.message, 422)
            return RedirectResponse("/settings?saved=" + group, 303)

        return await anyio.to_thread.run_sync(store)
