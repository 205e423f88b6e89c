"""Bearer tokens: who is calling, and may they call this route."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tenure.api import writes
from tenure.domains.audit.service import Actor
from tenure.domains.users import credentials
from tenure.domains.users import service as users
from tenure.domains.users.permissions import Permission, allows
from tenure.storage.engine import write_transaction

PREFIX = "/api/v1"
# "METHOD /api/v1/path" → what it needs; the routes × roles test walks this with every role
PERMISSIONS: dict[str, Permission] = {}


def actor(who: users.Principal) -> Actor:
    """Return the audit log's name for a caller of the API."""
    return Actor(who.user_id, "api")


class TokenCache:
    """Who a token speaks for, remembered for ``TTL`` seconds per server process.

    A busy client sends the same token many times a second: the token's look-up (its digest,
    its user, and the write of its last use) is spared on all but one request per ten seconds.
    What is remembered is checked on every call against the user's stored credentials
    generation (one read by primary key): a password reset, a role or team change, a
    deactivation or a revoked token — in this process, the CLI or another server — holds at
    the very next call.
    """

    TTL = 10.0
    MAX = 10_000

    def __init__(self) -> None:
        # by the token's digest: the tokens themselves are not kept
        self._known: dict[str, tuple[float, users.Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> users.Principal | None:
        """Return the remembered caller of ``token``, if fresh."""
        found = self._known.get(credentials.token_digest(token))
        if found is None or time.monotonic() - found[0] > self.TTL:
            return None
        return found[1]

    def put(self, token: str, who: users.Principal) -> None:
        """Remember who ``token`` speaks for."""
        with self._lock:
            if len(self._known) >= self.MAX:
                self._known.clear()
            self._known[credentials.token_digest(token)] = (time.monotonic(), who)

    def forget(self, token: str) -> None:
        """Forget one token's caller."""
        with self._lock:
            self._known.pop(credentials.token_digest(token), None)

    def clear(self) -> None:
        """Forget every token (after a revocation or a role change in this process)."""
        with self._lock:
            self._known.clear()


TOKENS = TokenCache()


class Guard:
    """Registers routes with the permission each needs and checks it on every call."""

    def __init__(self, engine: Engine, router: APIRouter) -> None:
        self.engine = engine
        self.router = router

    def still_current(self, who: users.Principal) -> bool:
        """Tell whether a remembered caller's user is unchanged since it was looked up."""
        with self.engine.connect() as conn:
            return users.generation_of(conn, who.user_id) == who.generation

    def caller(self, permission: Permission) -> Callable[[Request], users.Principal]:
        """Return a dependency that answers 401/403 unless the token allows ``permission``."""

        def check(request: Request) -> users.Principal:
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise HTTPException(401, "send an API token: Authorization: Bearer TOKEN")
            token = token.strip()
            who = TOKENS.get(token)
            if who is not None and not self.still_current(who):
                TOKENS.forget(token)
                who = None
            if who is None:
                with write_transaction(self.engine) as conn:
                    who = users.check_token(conn, token)
                if who is None:
                    raise HTTPException(401, "the API token is unknown or revoked")
                TOKENS.put(token, who)
            request.state.principal = who  # a refusal below speaks their language
            if not allows(who.role, permission, who.scopes):
                raise HTTPException(
                    403, f"this token (role {who.role}, scopes {who.scopes}) may not {permission}"
                )
            return who

        return check

    def route(
        self, method: str, path: str, permission: Permission, **options: Any
    ) -> Callable[[Any], Any]:
        """Register a route that only callers allowed ``permission`` reach (see ``caller``)."""
        PERMISSIONS[f"{method} {PREFIX}{path}"] = permission
        check = self.caller(permission)

        def remember(request: Request) -> None:
            request.state.principal = check(request)

        register = self.router.api_route(
            path, methods=[method], dependencies=[Depends(remember)], **options
        )
        if method not in writes.WRITE_METHODS:
            return register

        def queued(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            # a plain write waits its turn in the write queue (api/writes.py); an async
            # route hands its own work to a thread
            if inspect.iscoroutinefunction(endpoint):
                return register(endpoint)
            register(writes.queue_for(self.engine).wrap(endpoint))
            return endpoint

        return queued


def caller(request: Request) -> users.Principal:
    """Return who made this request (the route's guard has checked them)."""
    who: users.Principal = request.state.principal
    return who


def audit_actor(request: Request) -> Actor:
    """Return the caller of this request as the audit log names them."""
    return actor(caller(request))
