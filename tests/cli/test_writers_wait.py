"""`tenure import` and other commands that write wait their turn while the server writes.

SQLite has one write lock: a command takes it first (BEGIN IMMEDIATE), waits for it up to the
busy timeout a few times over (``WRITE_TURNS``), and says so in one line if it stays taken.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tenure.cli.context import WRITE_TURNS
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.storage.engine import engine_for, write_transaction
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tests.conftest import served
from tests.factories import settle_password
from tests.storage.locks import LockHolder

FIRST = 300  # customers the API's events are about
IMPORTED = 20_000  # customers the command imports meanwhile


def _tenure(*args: str, url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command)
        [sys.executable, "-m", "tenure", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TENURE_DATABASE_URL": url, "NO_COLOR": "1", **env},
        cwd=cwd,
        timeout=600,
        check=False,
    )


def _customers_csv(path: Path, prefix: str, count: int) -> Path:
    lines = ["customer_id,email,name,acquisition_channel,acquired_at"]
    lines += [
        f"{prefix}{n},{prefix}{n}@example.com,Person {n},referral,2024-01-05" for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, str]:
    """A SQLite store with FIRST customers and an ingest token; (url, token)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = _customers_csv(tmp_path / "first.csv", "a", FIRST)
    done = _tenure("import", "customers", str(first), url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    engine = engine_for(Settings.model_validate({"database": {"url": url}}).database)
    upgrade(engine)
    with write_transaction(engine) as conn:
        users.create_user(conn, "Shop", "shop@wait.test", "admin")
        settle_password(conn, "shop@wait.test")
        token = users.create_token(conn, "shop@wait.test", "shop", ["ingest", "read"])[1]
    engine.dispose()
    return url, token


class EventSender:
    """An API client sending event batches one after another until told to stop."""

    def __init__(self, api: str, token: str) -> None:
        self.api, self.token = api, token
        self.answers: Counter[int | str] = Counter()
        self.accepted = 0
        self.stop = threading.Event()
        self.some_landed = threading.Event()
        self.thread = threading.Thread(target=self._send, daemon=True)

    def _send(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.api, headers=headers, timeout=120) as http:
            n = 0
            while not self.stop.is_set():
                batch = [
                    {
                        "id": f"api-{n}-{k}",
                        "customer": f"a{(n * 4 + k) % FIRST}",
                        "type": "login",
                        "occurred_at": "2026-03-30T10:00:00+00:00",
                    }
                    for k in range(4)
                ]
                try:
                    answer = http.post("/events", json={"events": batch})
                    code: int | str = answer.status_code
                    if code == 200:
                        self.accepted += answer.json()["accepted"]
                except httpx.TransportError as exc:
                    code = type(exc).__name__
                self.answers[code] += 1
                n += 1
                if n >= 5:
                    self.some_landed.set()


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as db:
        found = int(db.execute(sql).fetchone()[0])
    db.close()
    return found


def test_an_import_and_api_writes_at_once_both_succeed(
    tmp_path: Path, store: tuple[str, str]
) -> None:
    url, token = store
    path = tmp_path / "store.db"
    big = _customers_csv(tmp_path / "big.csv", "b", IMPORTED)
    settings = Settings.model_validate({"database": {"url": url}, "worker": {"in_server": False}})
    engine = engine_for(settings.database)
    with served(create_app(engine, settings)) as base:
        sender = EventSender(f"{base}/api/v1", token)
        sender.thread.start()
        assert sender.some_landed.wait(60)
        before = sender.answers[200]
        imported = _tenure("import", "customers", str(big), "--json", url=url, cwd=tmp_path)
        answered_meanwhile = sender.answers[200] - before
        sender.stop.set()
        sender.thread.join(120)
    engine.dispose()
    assert imported.returncode == 0, imported.stderr
    assert "Traceback" not in imported.stderr
    assert json.loads(imported.stdout)["inserted"] == IMPORTED
    assert set(sender.answers) == {200} and answered_meanwhile > 0
    # counted in the file itself: every accepted event and every imported customer is there
    assert _count(path, "SELECT COUNT(*) FROM events WHERE external_id LIKE 'api-%'") == (
        sender.accepted
    )
    assert _count(path, "SELECT COUNT(*) FROM customers WHERE external_id LIKE 'b%'") == IMPORTED


def test_an_import_waits_for_a_lock_held_past_one_busy_timeout(
    tmp_path: Path, store: tuple[str, str]
) -> None:
    url, _ = store
    small = _customers_csv(tmp_path / "small.csv", "c", 10)
    env = {**os.environ, "TENURE_DATABASE_URL": url, "TENURE_DATABASE__BUSY_TIMEOUT_SECONDS": "1"}
    with LockHolder(tmp_path / "store.db") as holder:
        waiting = subprocess.Popen(  # noqa: S603  (our own command)
            [sys.executable, "-m", "tenure", "import", "customers", str(small), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert waiting.stderr is not None
        said = waiting.stderr.readline()  # a first busy timeout has passed: it waits again
        holder.release.set()
        out, err = waiting.communicate(timeout=120)
    assert "waiting for the store's write lock (turn 2 of" in said
    assert waiting.returncode == 0, err
    assert json.loads(out)["inserted"] == 10


def test_a_lock_that_stays_taken_is_one_line_not_a_traceback(
    tmp_path: Path, store: tuple[str, str]
) -> None:
    url, _ = store
    small = _customers_csv(tmp_path / "small.csv", "d", 10)
    short = {"TENURE_DATABASE__BUSY_TIMEOUT_SECONDS": "0.2"}
    with LockHolder(tmp_path / "store.db"):
        refused = _tenure("import", "customers", str(small), url=url, cwd=tmp_path, **short)
        listed = _tenure("users", "list", url=url, cwd=tmp_path, **short)
    for failed in (refused, listed):
        assert failed.returncode == 1
        assert "Traceback" not in failed.stderr
        message = " ".join(failed.stderr.split())
        assert f"store stayed busy with other writes for {WRITE_TURNS * 0.2:g} s" in message
        assert "nothing was changed" in message
    assert _count(tmp_path / "store.db", "SELECT COUNT(*) FROM customers") == FIRST
