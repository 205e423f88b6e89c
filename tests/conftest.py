"""Engines for the real databases the tests run on: a SQLite file and a PostgreSQL server.

PostgreSQL comes from TENURE_TEST_PG_URL, else scripts/ensure-postgres.sh finds or starts
one. Each test session gets a fresh database, dropped at the end; each test runs in a
transaction that is rolled back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("TENURE_TEST_PG_URL")
    if not url:
        script = ROOT / "scripts" / "ensure-postgres.sh"
        url = subprocess.run([str(script)], capture_output=True, text=True, check=True).stdout
    return url.strip()


def fresh_pg_database(server_url: str) -> tuple[Engine, str, Engine]:
    name = f"tenure_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return make_engine(url), name, admin


@contextmanager
def scratch_store(
    kind: str, request: pytest.FixtureRequest, folder: Path, *, migrate: bool = True
) -> Iterator[Engine]:
    """A store of the test's own, where commits are real (a worker or the feed must see them):
    a SQLite file in ``folder``, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'store.db'}")
        drop = None
    else:
        engine, name, admin = fresh_pg_database(request.getfixturevalue("pg_server_url"))
        drop = (name, admin)
    if migrate:
        upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if drop is not None:
            name, admin = drop
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A fresh, empty, migrated store on each database, for tests whose code commits."""
    with scratch_store(request.param, request, tmp_path_factory.mktemp("store")) as engine:
        yield engine


@pytest.fixture(scope="session")
def postgresql_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with scratch_store("postgresql", request, tmp_path_factory.mktemp("pg")) as engine:
        yield engine


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("sqlite") / "tenure.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated store on each real database."""
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session(conn: Connection) -> Iterator[Session]:
    """An ORM session inside the test's transaction (its commits become savepoints)."""
    with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
        yield s


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """A URL for a brand-new SQLite file (commands that commit use this)."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@contextmanager
def served(app: Any, stop_seconds: float = 10) -> Iterator[str]:
    """Serve ``app`` over loopback with uvicorn in a thread; yield its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=stop_seconds)
