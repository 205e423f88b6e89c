"""A form refused with 422 comes back filled in, with the reason beside it.

A page's form posts to its own route; when that route refuses the input (``InvalidInput``),
the browser would show an error page and the typed text would be gone. Instead the answer
(still a 422) sends the browser back to the page the form was on, and a short-lived cookie
carries what was typed and why it was refused; that page shows the reason and
``static/forms.js`` puts the values back into the form.

The body of a form post is read by the route, so ``FormBodyTee`` keeps a copy of it as it
streams past (web pages only, and only small url-encoded forms).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "tenure_kept_form"
SCOPE_KEY = "tenure.form_body"
# a form worth keeping is small; a bigger body is not copied (and nothing is kept)
MAX_COPIED = 16_384
# what a cookie can carry; values that do not fit are left out, the rest still come back
MAX_KEPT = 3_000
# never sent back to the browser in a cookie
SECRET_FIELDS = frozenset({"csrf", "password", "new_password", "current_password", "confirm"})
FORM_TYPE = "application/x-www-form-urlencoded"


class FormBodyTee:
    """Keep a copy of each small url-encoded form body of the web pages in the scope."""

    def __init__(self, app: ASGIApp, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, copying the body of a page's form post as it is read."""
        if not _is_page_form(scope, self.api_prefix):
            await self.app(scope, receive, send)
            return
        copied = bytearray()
        scope[SCOPE_KEY] = copied

        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(copied) <= MAX_COPIED:
                copied.extend(message.get("body", b""))
            return message

        await self.app(scope, tee, send)


def _is_page_form(scope: Scope, api_prefix: str) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    if str(scope["path"]).startswith(api_prefix):
        return False
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    return headers.get(b"content-type", b"").split(b";")[0].strip() == FORM_TYPE.encode()


@dataclass(frozen=True)
class KeptForm:
    """What a refused form held: where it posted, the values typed and the reason."""

    page: str
    action: str
    values: dict[str, str]
    error: str

    def field(self) -> str | None:
        """Return the field the reason names (``due: 'x' is not a date``: ``due``), if any."""
        head = self.error.split(":", 1)[0].strip()
        return head if head in self.values else None


def back_to_form(request: Request) -> str | None:
    """Return the page to send a refused form back to, or None when it cannot go back.

    It goes back only for a plain form post (not htmx, which swaps fragments in place)
    from a page of this site whose body was copied.
    """
    if request.headers.get("hx-request") or SCOPE_KEY not in request.scope:
        return None
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path.startswith("/") or referer.netloc != request.url.netloc:
        return None
    body = bytes(request.scope[SCOPE_KEY])
    if not body or len(body) > MAX_COPIED:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def keep(response: Response, request: Request, page: str, detail: str) -> None:
    """Set the cookie that brings the form back filled in on its page."""
    values: dict[str, str] = {}
    size = 0
    for name, value in parse_qsl(
        bytes(request.scope[SCOPE_KEY]).decode("utf-8", "replace"), keep_blank_values=True
    ):
        if name in SECRET_FIELDS or name in values:
            continue
        size += len(name) + len(value)
        if size > MAX_KEPT:
            continue
        values[name] = value
    kept = {
        "page": urlsplit(page).path,
        "action": request.url.path,
        "values": values,
        "error": detail[:500],
    }
    encoded = base64.urlsafe_b64encode(json.dumps(kept, ensure_ascii=False).encode()).decode()
    response.set_cookie(COOKIE, encoded, max_age=60, httponly=True, samesite="lax", path="/")


def taken(request: Request) -> KeptForm | None:
    """Return the refused form sent back to this page, if there is one."""
    raw = request.cookies.get(COOKIE)
    if not raw or request.method != "GET":
        return None
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(raw.encode()))
        form = KeptForm(
            page=str(data["page"]),
            action=str(data["action"]),
            values={str(k): str(v) for k, v in dict(data["values"]).items()},
            error=str(data["error"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None  # a cookie this app did not write: ignore it
    return form if form.page == request.url.path else None


def forget(response: Response) -> None:
    """Drop the cookie: the form is back on its page."""
    response.delete_cookie(COOKIE, path="/")
