"""The web app under load: 1,000,000 customers in PostgreSQL, 50 concurrent clients on the
customer list and the customer 360 for 60 s over loopback; p50/p95/p99 and errors.

Usage: python benchmarks/web_bench.py [--customers N] [--clients 50] [--seconds 60]
                                      [--workers 2] [--database-url URL] [--rebuild]
       python benchmarks/web_bench.py --sqlite [--customers 20000] [--clients 200]

`--sqlite` is issue 13's case: the embedded store (a SQLite file beside the bench, one server
process as `tenure serve` runs it by default), 200 clients for 60 s, one request in five an event
batch (POST /api/v1/events, 5 new events) among the reads. Every answer must be a 200 (or a 503
with Retry-After, counted apart: the store asked the client to come back); a 500 or a reset
connection is an error.

Issue 5: p95 ≤ 100 ms with zero errors. The store (demo company generated, loaded with COPY and
scored, tens of minutes at 1M) is built once into its own database and reused; the server is
`tenure serve --workers N` in its own processes; the clients are one asyncio process sending
through the REST API with a read token, as another system would: a page of customers (by id
after a random cursor, 40 %; the first page by highest CLV, 10 %) and one customer's 360 (50 %).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe  # noqa: E402

END = date(2026, 6, 30)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/tenure_web_bench"


def _default_url() -> str:
    server = os.environ.get("TENURE_TEST_PG_URL")
    if not server:
        return DEFAULT_URL
    from sqlalchemy.engine import make_url

    return make_url(server).set(database="tenure_web_bench").render_as_string(hide_password=False)


def _sqlite_url(customers: int) -> str:
    store = Path(tempfile.gettempdir()) / f"tenure-web-bench-{customers}.db"
    return f"sqlite:///{store}"


def _ready(url: str, customers: int) -> bool:
    """Tell whether the bench database holds a scored store of this size."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from tenure.storage.engine import make_engine

    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM customers")).scalar_one()
            done = conn.execute(
                text("SELECT count(*) FROM scoring_runs WHERE status = 'done'")
            ).scalar_one()
        engine.dispose()
    except OperationalError:
        return False
    except Exception:  # noqa: BLE001  (no tables yet)
        return False
    return bool(count == customers and done)


def _create_empty(url: str) -> None:
    """Drop and create the bench's database (PostgreSQL) or file (SQLite)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tenure.storage.engine import make_engine

    target = make_url(url)
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.database}{suffix}").unlink(missing_ok=True)
        return
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def build(url: str, customers: int) -> None:
    """Create the database, load the demo company with COPY and score it."""

    from tenure.demo.config import DemoConfig
    from tenure.demo.generate import generate
    from tenure.demo.load import load_into_store
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.settings import Settings
    from tenure.storage.engine import bulk_load, make_engine, write_transaction
    from tenure.storage.migrate import upgrade

    _create_empty(url)
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    data = generate(DemoConfig(customers=customers, seed=5, end=END))
    print(f"  generated {data.counts()} in {time.perf_counter() - started:.0f} s", flush=True)
    clock = time.perf_counter()
    with bulk_load(engine) as conn:
        load_into_store(conn, data, datetime(2026, 7, 1, tzinfo=UTC))
    del data
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    print(f"  loaded in {time.perf_counter() - clock:.0f} s", flush=True)
    clock = time.perf_counter()
    with write_transaction(engine) as conn:
        run_scoring(conn, END, Settings())
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    print(f"  scored in {time.perf_counter() - clock:.0f} s", flush=True)
    engine.dispose()


def token_and_ids(
    url: str, sample: int, *, ingest: bool = False
) -> tuple[str, list[int], list[str]]:
    """Issue a read token (and ingest, if asked) for a bench user; pick customers at random:
    their ids, and their external ids for events."""
    from sqlalchemy import text

    from tenure.domains.users import service as users
    from tenure.storage.engine import make_engine, write_transaction

    engine = make_engine(url)
    with write_transaction(engine) as conn:
        email = f"bench-{os.getpid()}@bench.test"
        users.create_user(conn, "Bench", email, "manager" if ingest else "viewer")
        # a one-time password would have its tokens refused
        users.set_password(conn, email, secrets.token_urlsafe(16))
        scopes = ["read", "ingest"] if ingest else ["read"]
        _, token = users.create_token(conn, email, "web bench", scopes)
        top = conn.execute(text("SELECT max(id) FROM customers")).scalar_one()
        rng = random.Random(11)
        ids = [rng.randint(1, int(top)) for _ in range(sample)]
        picked = ",".join(str(i) for i in ids[:2_000])
        externals = conn.execute(
            text(f"SELECT external_id FROM customers WHERE id IN ({picked})")  # noqa: S608
        ).scalars()
        external_ids = [str(e) for e in externals]
    engine.dispose()
    return token, ids, external_ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start `tenure serve` on a free port; return the process and its base URL."""
    port = _free_port()
    tenure = Path(sys.executable).with_name("tenure")
    server = subprocess.Popen(
        [str(tenure), "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "TENURE_DATABASE_URL": url, "TENURE_ENVIRONMENT": "production"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator must leave the cores to the
    server, and a full client library costs more CPU per request than the server's work."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """Send GET ``path``; read the whole answer; return its status.

        A kept-alive connection the server closed while idle is opened again and the request
        sent once more, as every HTTP client does.
        """
        return await self.send("GET", path, b"")

    async def post(self, path: str, body: bytes) -> int:
        """Send POST ``path`` with a JSON ``body``; return the answer's status."""
        return await self.send("POST", path, body)

    async def send(self, method: str, path: str, body: bytes) -> int:
        """Send a request; read the whole answer; return its status (see ``get``)."""
        reused = self.writer is not None
        try:
            return await self._send(method, path, body)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            if not reused:
                raise
            self.writer = None
            return await self._send(method, path, body)

    async def _send(self, method: str, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
        head_out = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}{extra}\r\n"
        self.writer.write(head_out.encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


@dataclass
class Mix:
    """What the clients ask for: the share of event batches, and whose events they are."""

    events: float = 0.0
    external_ids: list[str] = field(default_factory=list)


async def load(
    base: str, token: str, ids: list[int], clients: int, seconds: float, think: float, mix: Mix
) -> dict[str, list[float]]:
    """Run ``clients`` clients for ``seconds``, each pausing ``think`` s on average between
    requests (0: back to back); return latencies (ms) by kind, and the error count.

    A 503 (the store busy past its wait; the answer says when to come back) is counted apart
    from the errors: the client is told to retry, nothing failed.
    """
    latencies: dict[str, list[float]] = {"list": [], "list_by_clv": [], "customer_360": []}
    if mix.events:
        latencies["events"] = []
    errors: list[str] = []
    busy: list[int] = []
    deadline = time.monotonic() + seconds
    host, port = base.removeprefix("http://").split(":")
    run = uuid.uuid4().hex[:8]

    def batch(rng: random.Random, n: int, sent: int) -> bytes:
        events = [
            {
                "id": f"bench-{run}-{n}-{sent}-{k}",
                "customer": rng.choice(mix.external_ids),
                "type": "page_view",
                "occurred_at": "2026-06-30T10:00:00+00:00",
                "properties": {"page": "/pricing"},
            }
            for k in range(5)
        ]
        return json.dumps({"events": events}).encode()

    async def client(n: int) -> None:
        rng = random.Random(n)
        conn = Connection(host, int(port), token)
        sent = 0
        while time.monotonic() < deadline:
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
            roll = rng.random()
            body = b""
            if roll < mix.events:
                kind, path = "events", "/api/v1/events"
                body = batch(rng, n, sent)
            elif (roll := (roll - mix.events) / (1 - mix.events)) < 0.4:
                kind, path = "list", f"/api/v1/customers?after={rng.choice(ids)}&limit=50"
            elif roll < 0.5:
                kind, path = "list_by_clv", "/api/v1/customers?sort=-clv&limit=50"
            else:
                kind, path = "customer_360", f"/api/v1/customers/{rng.choice(ids)}"
            sent += 1
            started = time.perf_counter()
            try:
                status = await (conn.post(path, body) if body else conn.get(path))
            except (OSError, asyncio.IncompleteReadError) as exc:
                errors.append(f"{path}: {type(exc).__name__}")
                conn = Connection(host, int(port), token)
                continue
            if status == 503:
                busy.append(1)
                continue
            if status != 200:
                errors.append(f"{path}: {status}")
                continue
            latencies[kind].append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(client(n) for n in range(clients)))
    latencies["errors"] = [float(len(errors))]
    latencies["busy"] = [float(len(busy))]
    if errors:
        print("  first errors:", errors[:5])
    return latencies


def percentiles(values: list[float]) -> str:
    """Return "p50 / p95 / p99 ms (n)" of ``values``."""
    if not values:
        return "no answers"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:.1f} / p95 {cuts[94]:.1f} / p99 {cuts[98]:.1f} ms ({len(values):,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=None, help="1,000,000; SQLite 20,000")
    parser.add_argument("--clients", type=int, default=None, help="50; SQLite 200")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=None, help="2; SQLite 1")
    parser.add_argument(
        "--database-url",
        default=None,
        help="the bench's own database (on the server TENURE_TEST_PG_URL names, if set)",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="the embedded store under reads and event writes"
    )
    parser.add_argument("--think", type=float, default=1.0, help="mean pause of a person, s")
    parser.add_argument(
        "--events", type=float, default=None, help="share of event batches (SQLite 0.2, else 0)"
    )
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    customers = args.customers or (20_000 if args.sqlite else 1_000_000)
    clients = args.clients or (200 if args.sqlite else 50)
    workers = args.workers or (1 if args.sqlite else 2)
    url = args.database_url or (_sqlite_url(customers) if args.sqlite else _default_url())
    events = args.events if args.events is not None else (0.2 if args.sqlite else 0.0)
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"Machine: {describe()}")
    if args.rebuild or not _ready(url, customers):
        print(f"Building the store: {customers:,} customers in {url}")
        build(url, customers)
    token, ids, external_ids = token_and_ids(url, 20_000, ingest=events > 0)
    mix = Mix(events=events, external_ids=external_ids)
    server, base = start_server(url, workers)
    print(
        f"{clients} clients for {args.seconds:.0f} s each; server: {workers} workers; "
        f"{customers:,} customers in {kind}; event batches {events:.0%} of requests"
    )
    try:
        asyncio.run(load(base, token, ids, clients, 5, 0, mix))  # connections, caches
        for label, think in (
            (f"people (each pauses {args.think:g} s on average between requests)", args.think),
            ("back to back (no pause: the server's capacity)", 0.0),
        ):
            found = asyncio.run(load(base, token, ids, clients, args.seconds, think, mix))
            report(label, found, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def report(label: str, found: dict[str, list[float]], seconds: float) -> None:
    """Print the latencies of one load."""
    errors = int(found.pop("errors")[0])
    busy = int(found.pop("busy")[0])
    every = [v for values in found.values() for v in values]
    print(f"- {label}")
    for kind, values in found.items():
        print(f"    {kind:13} {percentiles(values)}")
    print(f"    {'all':13} {percentiles(every)}; {len(every) / seconds:.0f} requests/s")
    print(f"    errors (5xx but 503, other 4xx, resets): {errors}; 503 busy: {busy}")


if __name__ == "__main__":
    main()
