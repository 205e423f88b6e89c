"""A real HTTP receiver on loopback, and a store with an empty outbox before and after each test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Engine, delete

from tenure.domains.preferences.models import StoredSettings
from tenure.domains.webhooks.models import WebhookDelivery
from tenure.domains.webhooks.repository import SECRET_GROUP
from tenure.domains.webhooks.signing import generate_secret
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import Settings, WebhookSettings

SECRET = generate_secret()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers POSTs by path: a planned list of statuses, then 200; ``/hang`` waits."""

    base: str = ""
    received: list[Received] = field(default_factory=list)
    plans: dict[str, list[int]] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.received.append(Received(self.path, headers, body))
            if self.path == "/hang":
                receiver.release.wait(10)
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("location", "http://example.invalid/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            plan = receiver.plans.get(self.path)
            code = plan.pop(0) if plan else 200
            try:
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:  # the sender gave up waiting (the hanging receiver)
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(got))
    server.daemon_threads = True
    got.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    got.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    """The migrated store with no delivery and no kept secret, before and after the test."""

    def reset() -> None:
        with engine.begin() as conn:
            conn.execute(delete(WebhookDelivery))
            conn.execute(delete(StoredSettings).where(StoredSettings.group == SECRET_GROUP))

    reset()
    yield engine
    reset()


@pytest.fixture
def clock() -> FrozenClock:
    # starts at the real time: receivers (standardwebhooks) refuse a webhook-timestamp more
    # than 5 minutes from their own clock, and the tests move it by less than that
    return FrozenClock(datetime.now(UTC))


def settings(**hooks: object) -> Settings:
    """Test settings: a fixed secret, short timeout and lease, loopback allowed."""
    values: dict[str, object] = {
        "secret": SECRET,
        "timeout_seconds": 5,  # generous: a loaded test machine must not turn a 200 into a retry
        "lease_seconds": 10,
        "concurrency": 4,
        "allow_private": True,
        **hooks,
    }
    return Settings(environment="test", webhooks=WebhookSettings.model_validate(values))
