"""Read query results straight into Arrow, where the driver allows it.

Python's sqlite3 hands over one tuple per row; at tens of millions of rows that costs more
than the query. The ADBC SQLite driver reads the same file into Arrow columns in C — but it
brings its own copy of the SQLite library, and two copies in one process break each other's
file locks (POSIX locks belong to the process: closing one copy's file releases the other's;
see "How To Corrupt An SQLite Database File", 2.2.1). So the reading happens in a child
process, which writes an Arrow IPC file to a scratch directory that the parent maps (a pipe
cost both sides a copy of every byte). Several reads run side by side, one process each.

The child uses a connection of its own and sees what is committed: use it where the caller's
transaction has written nothing yet (a scoring run started from the command line).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
from sqlalchemy import Engine

from tenure.kit.errors import TenureError

ArrowReader = Callable[[Sequence[str]], list[pa.Table]]


def arrow_reader(engine: Engine) -> ArrowReader | None:
    """Return a reader of SQL texts into Arrow tables for ``engine``'s database, or None."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = str(Path(url.database).resolve())

    def read(queries: Sequence[str]) -> list[pa.Table]:
        with tempfile.TemporaryDirectory(prefix="tenure-read-") as scratch:
            outputs = [Path(scratch) / f"{n}.arrow" for n in range(len(queries))]
            children = [
                subprocess.Popen(  # noqa: S603  (our own interpreter and module, no shell)
                    [sys.executable, "-m", "tenure.storage.arrow", path, sql, str(output)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for sql, output in zip(queries, outputs, strict=True)
            ]
            tables = []
            for child, output in zip(children, outputs, strict=True):
                _, err = child.communicate()
                if child.returncode != 0:
                    raise TenureError(f"reading {path} into Arrow failed: {err.decode()[-500:]}")
                # mapped, not read: the columns are used where the file's pages lie
                with pa.memory_map(str(output)) as source:
                    tables.append(pyarrow.ipc.open_file(source).read_all())
        return tables

    return read


def _child(path: str, sql: str, output: str) -> None:
    """Run ``sql`` on the SQLite file at ``path``; write the result to ``output`` (Arrow IPC)."""
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(path) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
    with pyarrow.ipc.new_file(output, table.schema) as writer:
        writer.write_table(table)


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3])
