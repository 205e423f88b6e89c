"""The web app under load: 1,000,000 customers in PostgreSQL, 50 concurrent clients on the
customer list and the customer 360 for 60 s over loopback; p50/p95/p99 and errors.

Usage: python benchmarks/web_bench.py [--customers N] [--clients 50] [--seconds 60]
                                      [--workers 2] [--database-url URL] [--rebuild]

Issue 5: p95 ≤ 100 ms with zero errors. The store (demo company generated, loaded with COPY and
scored, tens of minutes at 1M) is built once into its own database and reused; the server is
`tenure serve --workers N` in its own processes; the clients are one asyncio process sending
through the REST API with a read token, as another system would: a page of customers (by id
after a random cursor, 40 %; the first page by highest CLV, 10 %) and one customer's 360 (50 %).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
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


def build(url: str, customers: int) -> None:
    """Create the database, load the demo company with COPY and score it."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tenure.demo.config import DemoConfig
    from tenure.demo.generate import generate
    from tenure.demo.load import load_into_store
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.settings import Settings
    from tenure.storage.engine import bulk_load, make_engine
    from tenure.storage.migrate import upgrade

    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
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
    print(f"  loaded with COPY in {time.perf_counter() - clock:.0f} s", flush=True)
    clock = time.perf_counter()
    with engine.begin() as conn:
        run_scoring(conn, END, Settings())
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    print(f"  scored in {time.perf_counter() - clock:.0f} s", flush=True)
    engine.dispose()


def token_and_ids(url: str, sample: int) -> tuple[str, list[int]]:
    """Issue a read token for a bench user; pick customer ids at random."""
    from sqlalchemy import text

    from tenure.domains.users import service as users
    from tenure.storage.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        email = f"bench-{os.getpid()}@bench.test"
        users.create_user(conn, "Bench", email, "viewer")
        _, token = users.create_token(conn, email, "web bench", ["read"])
        top = conn.execute(text("SELECT max(id) FROM customers")).scalar_one()
    engine.dispose()
    rng = random.Random(11)
    return token, [rng.randint(1, int(top)) for _ in range(sample)]


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
        reused = self.writer is not None
        try:
            return await self._get(path)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            if not reused:
                raise
            self.writer = None
            return await self._get(path)

    async def _get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def load(
    base: str, token: str, ids: list[int], clients: int, seconds: float, think: float
) -> dict[str, list[float]]:
    """Run ``clients`` clients for ``seconds``, each pausing ``think`` s on average between
    requests (0: back to back); return latencies (ms) by kind, and the error count."""
    latencies: dict[str, list[float]] = {"list": [], "list_by_clv": [], "customer_360": []}
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    host, port = base.removeprefix("http://").split(":")

    async def client(n: int) -> None:
        rng = random.Random(n)
        conn = Connection(host, int(port), token)
        while time.monotonic() < deadline:
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
            roll = rng.random()
            if roll < 0.4:
                kind, path = "list", f"/api/v1/customers?after={rng.choice(ids)}&limit=50"
            elif roll < 0.5:
                kind, path = "list_by_clv", "/api/v1/customers?sort=-clv&limit=50"
            else:
                kind, path = "customer_360", f"/api/v1/customers/{rng.choice(ids)}"
            started = time.perf_counter()
            try:
                status = await conn.get(path)
            except (OSError, asyncio.IncompleteReadError) as exc:
                errors.append(f"{path}: {type(exc).__name__}")
                conn = Connection(host, int(port), token)
                continue
            if status != 200:
                errors.append(f"{path}: {status}")
                continue
            latencies[kind].append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(client(n) for n in range(clients)))
    latencies["errors"] = [float(len(errors))]
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
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=_default_url(),
        help="the bench's own database (on the server TENURE_TEST_PG_URL names, if set)",
    )
    parser.add_argument("--think", type=float, default=1.0, help="mean pause of a person, s")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(f"Machine: {describe()}")
    if args.rebuild or not _ready(args.database_url, args.customers):
        print(f"Building the store: {args.customers:,} customers in {args.database_url}")
        build(args.database_url, args.customers)
    token, ids = token_and_ids(args.database_url, 20_000)
    server, base = start_server(args.database_url, args.workers)
    print(
        f"{args.clients} clients for {args.seconds:.0f} s each; server: {args.workers} workers; "
        f"{args.customers:,} customers in PostgreSQL"
    )
    try:
        asyncio.run(load(base, token, ids, args.clients, 5, 0))  # connections, caches
        for label, think in (
            (f"people (each pauses {args.think:g} s on average between requests)", args.think),
            ("back to back (no pause: the server's capacity)", 0.0),
        ):
            found = asyncio.run(load(base, token, ids, args.clients, args.seconds, think))
            report(label, found, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def report(label: str, found: dict[str, list[float]], seconds: float) -> None:
    """Print the latencies of one load."""
    errors = int(found.pop("errors")[0])
    every = [v for values in found.values() for v in values]
    print(f"- {label}")
    for kind, values in found.items():
        print(f"    {kind:13} {percentiles(values)}")
    print(f"    {'all':13} {percentiles(every)}; {len(every) / seconds:.0f} requests/s")
    print(f"    errors: {errors}")


if __name__ == "__main__":
    main()
