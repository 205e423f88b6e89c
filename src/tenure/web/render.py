"""Render a page: the template, the reader's language and formats, who is signed in, the menu."""

from __future__ import annotations

import gettext
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tenure.domains.users.permissions import Permission, allows
from tenure.domains.users.sessions import SignedIn
from tenure.kit import vocabulary
from tenure.kit.settings import Settings
from tenure.web import kept_form
from tenure.web.i18n import Formatter, pick, translations

HERE = Path(__file__).parent


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "translate later")
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


STAGES = {
    "potential": N_("Potential"),
    "new": N_("New"),
    "growing": N_("Growing"),
    "mature": N_("Mature"),
    "declining": N_("Declining"),
    "churned": N_("Churned"),
    "won_back": N_("Won back"),
}
# the menu: path, label, what the user needs to see it
MENU = (
    ("/", N_("Overview"), Permission.READ_REPORTS),
    ("/customers", N_("Customers"), Permission.READ_CUSTOMERS),
    ("/tasks", N_("Tasks"), Permission.READ_CUSTOMERS),
    ("/calls", N_("Who to call"), Permission.READ_CUSTOMERS),
    ("/playbooks", N_("Playbooks"), Permission.READ_PLAYBOOKS),
    ("/messages", N_("Messages"), Permission.READ_PLAYBOOKS),
    ("/surveys", N_("Surveys"), Permission.READ_REPORTS),
    ("/feedback", N_("Feedback"), Permission.READ_CUSTOMERS),
    ("/stages", N_("Stages"), Permission.READ_REPORTS),
    ("/value", N_("Value"), Permission.READ_REPORTS),
    ("/segments", N_("Segments"), Permission.READ_CUSTOMERS),
    ("/loyalty", N_("Loyalty"), Permission.READ_REPORTS),
    ("/cross-sell", N_("Cross-sell"), Permission.READ_REPORTS),
    ("/channels", N_("Channels"), Permission.READ_SPEND),
    ("/runs", N_("Runs"), Permission.READ_REPORTS),
    ("/settings", N_("Settings"), Permission.CHANGE_SETTINGS),
    ("/users", N_("Users"), Permission.MANAGE_USERS),
    ("/audit", N_("Audit log"), Permission.READ_AUDIT),
)


@dataclass(frozen=True)
class Page:
    """One request's language, its translation and its formats."""

    lang: str
    gettext: Callable[..., str]
    fmt: Formatter
    stage_label: Callable[[str | None], str]


class Renderer:
    """Fills templates with everything every page needs."""

    def __init__(self, settings: Settings) -> None:
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.settings = settings

    def language(self, request: Request, signed: SignedIn | None) -> str:
        """?lang= first, then the user's setting, then the browser's Accept-Language."""
        return pick(
            request.query_params.get("lang"),
            signed.language if signed else None,
            request.cookies.get("tenure_lang"),
            accept_language=request.headers.get("accept-language") or self.settings.business.locale,
        )

    def page_tools(self, request: Request, signed: SignedIn | None) -> Page:
        """Return the language, translation and formats of this request, for page code."""
        lang = self.language(request, signed)
        catalogue = translations(lang)
        translate = _gettext(catalogue)
        return Page(
            lang=lang,
            gettext=translate,
            fmt=Formatter(lang, self.settings.business.currency),
            stage_label=lambda s: translate(STAGES.get(s) or s) if s else "—",
        )

    def page(
        self,
        request: Request,
        template: str,
        signed: SignedIn | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """Render ``template`` for this request."""
        tools = self.page_tools(request, signed)
        role = signed.principal.role if signed else None
        path = request.url.path
        base = {
            "lang": tools.lang,
            "other": "zh" if tools.lang == "en" else "en",
            "_": tools.gettext,
            "fmt": tools.fmt,
            "user": signed,
            "csrf": signed.csrf_token if signed else "",
            "can": lambda p: role is not None and allows(role, Permission(p)),
            "stage_label": tools.stage_label,
            "label": lambda kind, key: vocabulary.label(kind, key, tools.lang),
            "figures": lambda numbers: vocabulary.figures_text(numbers, tools.lang),
            # JSON as people read it: 重点客户, not \u91cd\u70b9… (the page escapes it for HTML)
            "readable": lambda value: json.dumps(value, ensure_ascii=False, default=str),
            "stages": STAGES,
            "menu": [
                (href, tools.gettext(label), _active(path, href))
                for href, label, need in MENU
                if role is not None and allows(role, need)
            ],
            "path": path,
            "here": _here(request),
        }
        kept = kept_form.taken(request)
        answer = self.templates.TemplateResponse(
            request, template, {**base, "kept": kept, **context}, status_code=status_code
        )
        if kept is not None:
            kept_form.forget(answer)
        return answer


def _gettext(catalogue: gettext.NullTranslations) -> Callable[..., str]:
    """Return ``_(message, **values)``: translated, then %(name)s filled in."""

    def translate(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return translate


def _here(request: Request) -> str:
    """Return this page's path and query without ``lang`` (where the language switch returns)."""
    kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{kept}" if kept else "")


def _active(path: str, href: str) -> bool:
    return path == href if href == "/" else path.startswith(href)
