"""The public survey page: no sign-in; the signed token in the personal link is the authority.

GET shows the survey in the customer's language (``?lang=`` switches), or the answer already
given, with a way to change it while the survey's edit window lasts. POST keeps the answers.
There is no CSRF token: the signed link names the one invitation a POST can answer, and
answering is all it can do. POSTs are rate limited per address and per link; every answer is
checked against its question and every text escaped when shown. ``?embed=1`` leaves out the
page's header, for an iframe on a website or in a product (the page may be framed anywhere).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.surveys import answering, service
from tenure.domains.surveys.definition import SurveySpec
from tenure.domains.surveys.validation import check
from tenure.kit.errors import Conflict, NotFound
from tenure.kit.ratelimit import RateLimit
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction
from tenure.web.i18n import LANGUAGES, translations
from tenure.web.pages.survey_view import answer_rows, mistake_words, question_views
from tenure.web.render import Renderer

# a person answers a handful of times; a script does not get to try thousands of links
PER_ADDRESS = RateLimit(limit=30, seconds=600)
PER_LINK = RateLimit(limit=10, seconds=600)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors *",
    "Referrer-Policy": "no-referrer",  # the link is personal: never pass it on
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}


def _translate(lang: str) -> Any:
    catalogue = translations(lang)

    def translate(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return translate


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the public survey page to ``router``."""
    settings = render.settings

    def show(
        request: Request,
        token: str,
        state: str,
        opened: answering.Opened | None,
        status: int = 200,
        *,
        values: dict[str, Any] | None = None,
        mistakes: dict[str, str] | None = None,
    ) -> Response:
        invited = (opened.invitation or {}).get("language") if opened else None
        asked = request.query_params.get("lang")
        lang = asked if asked in LANGUAGES else invited if invited in LANGUAGES else "en"
        embed = request.query_params.get("embed") == "1"
        translate = _translate(lang)
        spec: SurveySpec | None = opened.survey.spec if opened and opened.survey else None
        keep = {"embed": "1"} if embed else {}
        answer = opened.answer if opened else None
        context = {
            "lang": lang,
            "_": translate,
            "state": state,
            "embed": embed,
            "spec": spec,
            "title": spec.title.pick(lang) if spec else translate("Survey"),
            "intro": spec.intro.pick(lang) if spec and spec.intro else None,
            "thanks": spec.thanks.pick(lang) if spec and spec.thanks else None,
            "questions": question_views(
                spec,
                lang,
                values or {},
                {k: mistake_words(v, translate) or "" for k, v in (mistakes or {}).items()},
            )
            if spec
            else [],
            "answers": answer_rows(spec, lang, answer["answers"]) if spec and answer else [],
            "editable": bool(opened and opened.editable),
            "action": f"/survey/{token}?" + urlencode({"lang": lang, **keep}),
            "edit_url": f"/survey/{token}?" + urlencode({"lang": lang, "edit": "1", **keep}),
            "switch": [
                (
                    other,
                    "中文" if other == "zh" else "English",
                    f"/survey/{token}?" + urlencode({**dict(request.query_params), "lang": other}),
                )
                for other in LANGUAGES
                if other != lang
            ],
            "mistakes": mistakes or {},
        }
        page = render.templates.TemplateResponse(
            request, "survey_public.html", context, status_code=status
        )
        page.headers.update(HEADERS)
        return page

    def opened_by(token: str) -> answering.Opened:
        invitation_id = service.invitation_of_token(token, settings)
        with engine.connect() as conn:
            return answering.open_link(conn, invitation_id, utcnow())

    @router.get("/survey/{token}", include_in_schema=False)
    def survey_page(request: Request, token: str) -> Response:
        opened = opened_by(token)
        if opened.state in ("invalid", "skipped"):
            return show(request, token, "invalid", opened, 404)
        if opened.state == "answered":
            if request.query_params.get("edit") == "1" and opened.editable and opened.answer:
                return show(request, token, "edit", opened, values=opened.answer["answers"])
            saved = request.query_params.get("saved") == "1"
            return show(request, token, "saved" if saved else "answered", opened)
        # a number clicked in the email opens the page with it chosen; nothing is kept until
        # the customer sends it (mail scanners follow links too)
        chosen = request.query_params.get("score", "")
        values = {"score": chosen} if chosen.isdigit() and len(chosen) <= 2 else {}
        return show(request, token, opened.state, opened, values=values)

    @router.post("/survey/{token}", include_in_schema=False)
    async def survey_answer(request: Request, token: str) -> Response:
        now = time.monotonic()
        address = request.client.host if request.client else "-"
        wait = PER_ADDRESS.allow(address, now) or PER_LINK.allow(token, now)
        if wait is not None:
            page = show(request, token, "limited", None, 429)
            page.headers["Retry-After"] = str(int(wait) + 1)
            return page
        form = await request.form()
        opened = opened_by(token)
        if opened.state in ("invalid", "skipped") or not opened.survey or not opened.invitation:
            return show(request, token, "invalid", opened, 404)
        invitation_id = int(opened.invitation["id"])
        raw: dict[str, Any] = {
            q.id: [str(v) for v in form.getlist(f"q-{q.id}")] for q in opened.survey.spec.questions
        }
        checked = check(opened.survey.spec, raw)
        if checked.mistakes:
            state = "edit" if opened.answer else "open"
            return show(request, token, state, opened, 422, values=raw, mistakes=checked.mistakes)
        lang = request.query_params.get("lang")
        try:
            with write_transaction(engine) as conn:
                answering.answer_invitation(
                    conn,
                    invitation_id,
                    raw,
                    lang if lang in LANGUAGES else "en",
                    utcnow(),
                )
        except NotFound:
            return show(request, token, "invalid", opened, 404)
        except Conflict:  # expired, or past the edit window, since the page was read
            now_open = opened_by(token)
            return show(request, token, now_open.state, now_open, 409)
        keep = {k: v for k, v in request.query_params.items() if k in ("lang", "embed")}
        target = f"/survey/{token}?" + urlencode({**keep, "saved": "1"})
        return RedirectResponse(target, status_code=303, headers=HEADERS)
