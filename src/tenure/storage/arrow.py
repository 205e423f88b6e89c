"""Read query results straight into Arrow, where the driver allows it.

Python's sqlite3 hands over one tuple per row; at tens of millions of rows that costs more
than the query. The ADBC SQLite driver reads the same file into Arrow columns in C. It uses a
connection of its own, so it sees what is committed: use it where the caller's transaction has
written nothing yet (a scoring run started from the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine

ArrowReader = Callable[[str], pa.Table]


def arrow_reader(engine: Engine) -> ArrowReader | None:
    """Return a reader of SQL text into Arrow for ``engine``'s database, or None."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)

    def read(sql: str) -> pa.Table:
        import adbc_driver_sqlite.dbapi as adbc

        with adbc.connect(str(path)) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()

    return read
