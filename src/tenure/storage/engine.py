"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tenure.kit.errors import ConfigurationError
from tenure.storage import staging


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling runs DDL outside transactions (so a rolled-back
    # load could lose an index it dropped); we emit BEGIN ourselves in _sqlite_begin.
    dbapi_connection.isolation_level = None
    # WAL lets the web server read while an import writes; NORMAL sync is safe under WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-200000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # The pragma only takes effect outside a transaction, so it is set before every BEGIN:
    # on unless this connection opted out, so no choice leaks to the pool's next user.
    skip = conn.get_execution_options().get(SKIP_SQLITE_FK_CHECKS, False)
    conn.exec_driver_sql(f"PRAGMA foreign_keys={'OFF' if skip else 'ON'}")
    conn.exec_driver_sql("BEGIN")


def _release_staging(dbapi_connection: Any, _record: Any) -> None:
    staging.release(dbapi_connection)


POOL_SIZE = 20
POOL_OVERFLOW = 5


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the settings each database needs."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
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
def bulk_load(engine: Engine) -> Iterator[Connection]:
    """Open a transaction for loaders that check every reference themselves.

    On SQLite it skips the per-row foreign-key checks; it commits on success and rolls
    back on error, like ``engine.begin()``.
    """
    with engine.connect() as conn:
        conn.execution_options(**{SKIP_SQLITE_FK_CHECKS: True})
        with conn.begin():
            yield conn
