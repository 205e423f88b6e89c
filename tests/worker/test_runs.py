"""Scoring runs queued through the API finish while people and API clients write."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine, event, text

from tenure.domains.audit.service import SYSTEM
from tenure.domains.scoring import failures, requests
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine
from tenure.web.app import create_app
from tenure.worker.process import Worker, WorkerOptions
from tests.conftest import served
from tests.worker.conftest import END, Store

WRITES = 200  # at least: the clients go on writing until the run has finished
MAX_WRITES = 3000  # one customer per edit, and no run takes this long
CLIENTS = 8


@pytest.fixture
def server(store: Store) -> Iterator[str]:
    """The app served over loopback by uvicorn, its run worker inside it."""
    with served(create_app(store.engine, Settings()), stop_seconds=120) as url:
        yield f"{url}/api/v1"


class Writers:
    """API clients sending numbered writes: edit customer n, an event n, a task n."""

    def __init__(self, api: str, token: str, customers: list[tuple[int, str]]) -> None:
        self.api, self.token, self.customers = api, token, customers
        self.answers: Counter[int | str] = Counter()
        self.sent = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def _next(self) -> int | None:
        with self._lock:
            if (self.sent >= WRITES and self.stop.is_set()) or self.sent >= MAX_WRITES:
                return None
            self.sent += 1
            return self.sent - 1

    def client(self) -> None:
        """Send writes, one at a time, until told to stop (and 200 are sent)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.api, headers=headers, timeout=120) as http:
            while (n := self._next()) is not None:
                try:
                    code: int | str = self._write(http, n).status_code
                except httpx.TransportError as exc:  # a reset connection counts as a failure
                    code = type(exc).__name__
                with self._lock:
                    self.answers[code] += 1

    def _write(self, http: httpx.Client, n: int) -> httpx.Response:
        customer_id, external_id = self.customers[n]
        if n % 3 == 0:
            return http.patch(f"/customers/{customer_id}", json={"city": f"city-{n}"})
        if n % 3 == 1:
            event = {
                "id": f"busy-{n}",
                "customer": external_id,
                "type": "login",
                "occurred_at": "2026-03-30T10:00:00+00:00",
            }
            return http.post("/events", json={"events": [event]})
        return http.post("/tasks", json={"customer_id": customer_id, "title": f"task-{n}"})


def _landed(engine: Engine) -> dict[str, Any]:
    """Return the writes found in the store: the edited cities, events and task titles."""
    with engine.connect() as conn:
        return {
            "edits": dict(
                conn.execute(text("SELECT id, city FROM customers WHERE city LIKE 'city-%'")).all()
            ),
            "events": set(
                conn.execute(
                    text("SELECT external_id FROM events WHERE external_id LIKE 'busy-%'")
                ).scalars()
            ),
            "tasks": set(
                conn.execute(text("SELECT title FROM tasks WHERE title LIKE 'task-%'")).scalars()
            ),
        }


def test_a_run_succeeds_while_200_writes_arrive(store: Store, server: str) -> None:
    with store.engine.connect() as conn:
        customers = [
            (int(i), str(e))
            for i, e in conn.execute(text("SELECT id, external_id FROM customers ORDER BY id"))
        ]
    writers = Writers(server, store.token, customers)
    headers = {"Authorization": f"Bearer {store.token}"}
    with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
        queued = http.post("/runs", json={"as_of": END.isoformat()})
        assert queued.status_code == 202, queued.text
        status_url = queued.json()["status_url"].removeprefix("/api/v1")
        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = [pool.submit(writers.client) for _ in range(CLIENTS)]
            deadline = time.monotonic() + 600
            status = http.get(status_url).json()
            while status["status"] in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                status = http.get(status_url).json()
            writers.stop.set()
            for client in clients:
                client.result()
    assert status["status"] == "done", status
    assert writers.sent >= WRITES
    # every write answered 200 or 201: no 5xx, no reset connection
    assert set(writers.answers) <= {200, 201}, writers.answers
    assert sum(writers.answers.values()) == writers.sent
    sent = range(writers.sent)
    assert _landed(store.engine) == {
        "edits": {customers[n][0]: f"city-{n}" for n in sent if n % 3 == 0},
        "events": {f"busy-{n}" for n in sent if n % 3 == 1},
        "tasks": {f"task-{n}" for n in sent if n % 3 == 2},
    }
    with store.engine.connect() as conn:
        run = conn.execute(
            text("SELECT as_of, status FROM scoring_runs WHERE id = :r"), {"r": status["run_id"]}
        ).one()
    assert str(run.as_of)[:10] == END.isoformat() and run.status == "done"


def _sign_in(http: TestClient, email: str, password: str) -> None:
    form = http.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = http.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf[1], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_a_run_that_cannot_write_says_why_in_plain_words(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the disk is made full with a SQLite pragma")
    # the worker's store may not grow by a page: the write-back meets a real SQLITE_FULL
    full = make_engine(store.url)
    event.listen(full, "connect", lambda dbapi, _: dbapi.execute("PRAGMA max_page_count = 1"))
    with store.engine.begin() as conn:
        request_id = requests.request_run(conn, SYSTEM, END - timedelta(days=15))
        users.create_user(conn, "Runs Reader", "reader@worker.test", "viewer")
        users.set_password(conn, "reader@worker.test", "a long enough password")
    worker = Worker(full, Settings(), options=WorkerOptions(daily_run_at=None))
    worker.start()
    with caplog.at_level(logging.ERROR, logger="tenure.worker.process"):
        assert worker.tick().runs_failed == [request_id]
    worker.stop()
    full.dispose()
    # the details went to the log ...
    [logged] = [r for r in caplog.records if f"request {request_id} " in r.getMessage()]
    assert "out_of_disk" in logged.getMessage()
    assert logged.exc_info is not None and "disk is full" in str(logged.exc_info[1])
    # ... and the API and the Runs page say what happened, in words, in both languages
    app = create_app(store.engine, Settings())
    http = TestClient(app)
    answer = http.get(
        f"/api/v1/runs/requests/{request_id}", headers={"Authorization": f"Bearer {store.token}"}
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "failed" and answer.json()["error"] == "out_of_disk"
    assert answer.json()["reason"] == failures.REASONS["out_of_disk"]
    assert "INSERT" not in answer.text and "SQL" not in answer.text
    _sign_in(http, "reader@worker.test", "a long enough password")
    for lang in ("en", "zh"):
        page = http.get("/runs", params={"lang": lang}).text
        assert str(escape(failures.REASONS["out_of_disk"][lang])) in page
        assert "INSERT" not in page and "sqlite3" not in page
