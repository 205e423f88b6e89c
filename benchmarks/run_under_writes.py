"""A scoring run queued through the API while API clients write: does it finish, do the writes?

Usage: python benchmarks/run_under_writes.py [--customers 4000] [--clients 8] [--writes 200]
                                             [--repeat 3] [--store DIR]

Issue 11: on SQLite a queued run failed with "database is locked" while people wrote. The
store (demo company, scored a month before the day the bench scores) is built once into
--store and copied for every try (a closed store is one file). Each try starts `tenure serve`
on the copy in its own process (the run worker lives there), queues a run through the API
and, under writes, has --clients threads send customer edits, event batches and tasks, one
after another, until the run has ended and at least --writes are sent. Printed per try: how
the run ended, its time as the client saw it and its own write-back time, the writes sent,
failed (5xx, reset) and lost (answered but not in the store), and their latencies.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe  # noqa: E402

END = date(2026, 3, 31)


def build(base: Path, customers: int) -> str:
    """Build the scored demo store at ``base``; return an admin token with every scope."""
    from tenure.demo.config import DemoConfig
    from tenure.demo.generate import generate
    from tenure.demo.load import load_into_store
    from tenure.domains.scoring.run import run_scoring
    from tenure.domains.users import service as users
    from tenure.kit.settings import Settings
    from tenure.storage.engine import bulk_load, make_engine
    from tenure.storage.migrate import upgrade

    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{base}")
    upgrade(engine)
    with bulk_load(engine) as conn:
        data = generate(DemoConfig(customers=customers, seed=5, end=END))
        load_into_store(conn, data, datetime(2026, 4, 1, tzinfo=UTC))
    with engine.begin() as conn:
        run_scoring(conn, END - timedelta(days=30), Settings())
        users.create_user(conn, "Bench", "bench@bench.test", "admin")
        users.set_password(
            conn, "bench@bench.test", secrets.token_urlsafe(16)
        )  # one-time: no tokens
        scopes = ["read", "write", "ingest", "score"]
        token = users.create_token(conn, "bench@bench.test", "bench", scopes)[1]
    engine.dispose()  # the last connection folds the WAL into the file: one file to copy
    print(f"  built {base} in {time.perf_counter() - started:.0f} s", flush=True)
    return token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `tenure serve` on ``store``; return the process and the API's base URL."""
    port = _free_port()
    tenure = Path(sys.executable).with_name("tenure")
    env = {**os.environ, "TENURE_DATABASE_URL": f"sqlite:///{store}"}
    env["OPENBLAS_NUM_THREADS"] = "1"  # the run's fits: one BLAS thread on a shared machine
    log = (store.parent / "server.log").open("ab")  # tracebacks of failed requests, if any
    server = subprocess.Popen(  # noqa: S603  (our own command, no shell)
        [str(tenure), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return server, base + "/api/v1"
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


class Writers:
    """Clients sending numbered writes (edit customer n, event n, task n) until stopped."""

    def __init__(self, api: str, token: str, customers: list[tuple[int, str]], least: int):
        self.api, self.token, self.customers, self.least = api, token, customers, least
        self.answers: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.sent = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def _next(self) -> int | None:
        with self._lock:
            done = self.sent >= self.least and self.stop.is_set()
            if done or self.sent >= len(self.customers):
                return None
            self.sent += 1
            return self.sent - 1

    def client(self) -> None:
        """Send writes one after another."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.api, headers=headers, timeout=300) as http:
            while (n := self._next()) is not None:
                started = time.perf_counter()
                try:
                    answer = str(self._write(http, n).status_code)
                except httpx.TransportError as exc:
                    answer = type(exc).__name__
                with self._lock:
                    self.answers[answer] += 1
                    self.latencies.append((time.perf_counter() - started) * 1000)

    def _write(self, http: httpx.Client, n: int) -> httpx.Response:
        customer_id, external_id = self.customers[n]
        if n % 3 == 0:
            return http.patch(f"/customers/{customer_id}", json={"city": f"bench-{n}"})
        if n % 3 == 1:
            event = {
                "id": f"bench-{n}",
                "customer": external_id,
                "type": "login",
                "occurred_at": "2026-03-30T10:00:00+00:00",
            }
            return http.post("/events", json={"events": [event]})
        return http.post("/tasks", json={"customer_id": customer_id, "title": f"bench-{n}"})


def landed(store: Path) -> int:
    """Count the bench's writes found in the store."""
    with sqlite3.connect(store) as db:
        return sum(
            db.execute(sql).fetchone()[0]
            for sql in (
                "SELECT COUNT(*) FROM customers WHERE city LIKE 'bench-%'",
                "SELECT COUNT(*) FROM events WHERE external_id LIKE 'bench-%'",
                "SELECT COUNT(*) FROM tasks WHERE title LIKE 'bench-%'",
            )
        )


def one_try(base: Path, token: str, args: argparse.Namespace, writing: bool) -> dict[str, Any]:
    """Copy the store, serve it, queue a run (with writers or alone); return what happened."""
    store = base.with_name("try.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, store)
    with sqlite3.connect(store) as db:
        customers = [
            (int(i), str(e)) for i, e in db.execute("SELECT id, external_id FROM customers")
        ]
    db.close()
    server, api = start_server(store)
    writers = Writers(api, token, customers, args.writes)
    try:
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as http:
            started = time.perf_counter()
            queued = http.post("/runs", json={"as_of": END.isoformat()}, timeout=60).json()
            url = queued["status_url"].removeprefix("/api/v1")
            with ThreadPoolExecutor(args.clients) as pool:
                clients = [
                    pool.submit(writers.client) for _ in range(args.clients if writing else 0)
                ]
                status = http.get(url, timeout=300).json()
                while status["status"] in ("queued", "running"):
                    time.sleep(0.1)
                    status = http.get(url, timeout=300).json()
                seconds = time.perf_counter() - started
                writers.stop.set()
                for client in clients:
                    client.result()
            phases = {}
            if status.get("run_id"):
                runs = http.get("/runs", params={"limit": 5}, timeout=60).json()["items"]
                phases = next(r["seconds"] for r in runs if r["run_id"] == status["run_id"])
    finally:
        server.terminate()
        server.wait(timeout=120)
    ok = writers.answers["200"] + writers.answers["201"]
    return {
        "run": status["status"] if status["status"] == "done" else _failure(status["error"]),
        "seconds": seconds,
        "write_back": phases.get("write"),
        "snapshot": phases.get("snapshot"),
        "sent": writers.sent,
        "failed": writers.sent - ok,
        "lost": ok - landed(store) if writing else 0,
        "latencies": writers.latencies,
    }


def _failure(error: str) -> str:
    """Return a failure's kind, or the first words of an older version's raw error."""
    return "failed: " + error.splitlines()[0].rsplit(") ", 1)[-1][:40]


def describe_try(found: dict[str, Any]) -> str:
    """Return one line about a try."""
    line = f"run {found['run']:<12} {found['seconds']:6.1f} s"
    if found["write_back"] is not None:
        line += f" (snapshot {found['snapshot']:.1f} s, write-back {found['write_back']:.2f} s)"
    if found["sent"]:
        cuts = statistics.quantiles(found["latencies"], n=100, method="inclusive")
        line += (
            f"; writes {found['sent']}, failed {found['failed']}, lost {found['lost']}; "
            f"p50 {cuts[49]:.0f} / p95 {cuts[94]:.0f} / max {max(found['latencies']):.0f} ms"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200, help="at least this many writes")
    parser.add_argument("--repeat", type=int, default=3)
    default_store = Path(tempfile.gettempdir()) / "tenure-run-under-writes"
    parser.add_argument("--store", type=Path, default=default_store)
    args = parser.parse_args()
    print(f"Machine: {describe()}")
    args.store.mkdir(parents=True, exist_ok=True)
    base = args.store / f"base-{args.customers}.db"
    token_file = base.with_suffix(".token")
    if not base.exists() or not token_file.exists():
        print(f"Building the store: {args.customers:,} demo customers")
        base.unlink(missing_ok=True)
        token_file.write_text(build(base, args.customers))
    token = token_file.read_text()
    print(
        f"SQLite, {args.customers:,} customers; a run queued through the API, alone and while "
        f"{args.clients} clients write (at least {args.writes} writes)"
    )
    for n in range(args.repeat):
        for writing in (False, True):
            found = one_try(base, token, args, writing)
            label = "under writes" if writing else "alone"
            print(f"  try {n + 1}, {label:12} {describe_try(found)}", flush=True)


if __name__ == "__main__":
    main()
