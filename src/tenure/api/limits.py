"""Refuse oversized or NUL-laden requests before any route, sign-in or body parsing sees them.

* headers over ``server.max_header_bytes`` → 431;
* a body over ``server.max_body_bytes`` → 413, told by its Content-Length or counted while it
  streams in, so a huge upload is never buffered whole;
* a NUL character in the path, the query, a JSON body or a form → 422 naming the field:
  PostgreSQL cannot keep one and SQLite's string functions stop at it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenure.kit.limits import nul_path


class TooLarge(Exception):
    """The body grew past the limit while streaming in."""


class RequestLimits:
    """ASGI middleware applying the limits above to every HTTP request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on with its body replayed."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if sum(len(name) + len(value) + 4 for name, value in headers) > self.max_headers:
            await _refuse(send, 431, f"request headers larger than {self.max_headers:,} bytes")
            return
        problem = _nul_in_target(scope)
        if problem is not None:
            await _refuse(send, 422, problem)
            return
        declared = dict(headers).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _refuse(send, 413, self._too_large())
            return
        try:
            body = await self._body(receive)
        except TooLarge:
            await _refuse(send, 413, self._too_large())
            return
        problem = _nul_in_body(dict(headers).get(b"content-type", b""), body)
        if problem is not None:
            await _refuse(send, 422, problem)
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return f"request body larger than {self.max_body:,} bytes (server.max_body_bytes)"

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect

    return replayed


def _nul_in_target(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "path: holds a NUL character (\\0)"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        found = _nul_in_pairs(query.decode("latin-1"))
        return f"query.{found}" if found is not None else None
    return None


def _nul_in_pairs(text: str) -> str | None:
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8"):
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\0")
            return f"{shown}: holds a NUL character (\\0)"
    return None


def _nul_in_body(content_type: bytes, body: bytes) -> str | None:
    kind = content_type.split(b";")[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded" and b"%00" in body:
        found = _nul_in_pairs(body.decode("latin-1"))
        return f"form.{found}" if found is not None else None
    if kind.endswith(b"json") and b"\\u0000" in body:
        try:
            parsed: Any = json.loads(body)
        except (ValueError, RecursionError):
            return None  # the route answers a body that is not JSON itself
        path = nul_path(parsed, "body")
        if path is not None:
            return f"{path}: holds a NUL character (\\0)"
    return None


async def _refuse(send: Send, status: int, detail: str) -> None:
    from tenure.api.errors import CODES

    payload = json.dumps({"error": CODES.get(status, "error"), "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
