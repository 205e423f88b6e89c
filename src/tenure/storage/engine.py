"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tenure.kit.errors import ConfigurationError
from tenure.storage import staging
from tenure.storage.errors import is_busy

log = logging.getLogger(__name__)
T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Pick our drivers: psycopg 3 for PostgreSQL, the standard library for SQLite."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.drivername.startswith(("sqlite", "postgresql")):
        raise ConfigurationError(
            f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or postgresql://..."
        )
    return parsed.render_as_string(hide_password=False)


# Connection execution option with which a caller that checks every reference itself (the
# importer, the demo loader) skips SQLite's per-row foreign-key checks: ~25% faster loads.
SKIP_SQLITE_FK_CHECKS = "tenure_skip_sqlite_fk_checks"
# Connection execution option of a transaction that will write (``write_transaction``): on
# SQLite it starts with BEGIN IMMEDIATE, taking the write lock before its first read.
SQLITE_BEGIN_IMMEDIATE = "tenure_sqlite_begin_immediate"
# How long a SQLite writer waits for another's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling runs DDL outside transactions (so a rolled-back
        # load could lose an index it dropped); we emit BEGIN ourselves in _sqlite_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers (pages, the API, a scoring run's long read) never wait for a writer nor
        # hold one up; NORMAL sync is safe under WAL. Measured with a run during 200 API
        # writes: with the rollback journal the run's read blocked writers for seconds, and it
        # failed. The mode is kept in the file: copy a store in use with `.backup`, not `cp`.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # writers queue for the one write lock instead of failing at once
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA cache_size=-200000")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    # The pragma only takes effect outside a transaction, so it is set before every BEGIN:
    # on unless this connection opted out, so no choice leaks to the pool's next user.
    options = conn.get_execution_options()
    skip = options.get(SKIP_SQLITE_FK_CHECKS, False)
    conn.exec_driver_sql(f"PRAGMA foreign_keys={'OFF' if skip else 'ON'}")
    # A plain (deferred) BEGIN takes the write lock at the first write. In WAL mode that
    # fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout does not
    # wait) when another connection committed after this transaction's first read: its
    # snapshot is stale. A writer that says so up front waits for the lock instead.
    immediate = options.get(SQLITE_BEGIN_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _release_staging(dbapi_connection: Any, _record: Any) -> None:
    staging.release(dbapi_connection)


POOL_SIZE = 20
POOL_OVERFLOW = 5


def make_engine(
    url: str, *, echo: bool = False, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    """Create an engine for ``url`` with the settings each database needs.

    ``busy_timeout_ms``: on SQLite, how long a writer waits for the write lock.
    """
    url = normalise_url(url)
    staging.sweep_once()  # temporary files a killed import left behind
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
        # staging files (storage/staging.py) outlive the transaction that read them; drop
        # them when the connection is handed back or closed
        event.listen(engine, "checkin", _release_staging)
        event.listen(engine, "close", _release_staging)
        return engine
    # a web worker answers up to 40 requests at once (its thread pool): keep most of them
    # connections open — a connection over the pool's size is opened (a new server process
    # on PostgreSQL) and closed for every request, which halved the API's throughput
    return create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """Open a session whose transaction commits on success and rolls back on error.

    Services only flush; this is where a command or request commits.
    """
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a transaction that will write; it commits on success and rolls back on error.

    Like ``engine.begin()``, but on SQLite it takes the write lock first (BEGIN IMMEDIATE),
    waiting up to the busy timeout for another writer to finish, so it never fails halfway
    because someone else wrote after it had read. Readers are not held up (WAL). PostgreSQL
    needs nothing of the kind.
    """
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
        with conn.begin():
            yield conn


def retry_when_busy(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    attempts: int = 5,
    pause: float = 2.0,
) -> T:
    """Run ``work`` in a write transaction; if the store stays busy, roll back and try again.

    For work that can be done again from the start (it reads nothing it wrote before): each
    attempt waits up to the busy timeout for the write lock, so a long import or another run
    holding it delays the work by minutes instead of failing it. PostgreSQL's deadlocks and
    serialization failures are retried the same way.
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as conn:
                return work(conn)
        except Exception as exc:
            if attempt == attempts or not is_busy(exc):
                raise
            log.warning("the store was busy (attempt %s of %s): %s", attempt, attempts, exc)
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def bulk_load(engine: Engine) -> Iterator[Connection]:
    """Open a write transaction for loaders that check every reference themselves.

    On SQLite it skips the per-row foreign-key checks and takes the write lock first (see
    ``write_transaction``); it commits on success and rolls back on error.
    """
    with engine.connect() as conn:
        conn.execution_options(**{SKIP_SQLITE_FK_CHECKS: True, SQLITE_BEGIN_IMMEDIATE: True})
        with conn.begin():
            yield conn
