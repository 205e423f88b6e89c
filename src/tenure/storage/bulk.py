"""Fast bulk writes of typed Polars frames, for imports and the demo company.

One entry point, ``write_frame``, that inserts or upserts a frame whose columns are named
after the table's columns. SQLite gets ``executemany`` of plain tuples (the driver's fastest
path); PostgreSQL gets ``COPY`` into a temporary table and one ``INSERT ... SELECT``.

An upsert only touches rows whose values differ, so importing the same file twice changes
nothing: not even ``updated_at``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table

from tenure.storage import staging

CHUNK_ROWS = 250_000
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%6f"
_PG_TS = "%Y-%m-%d %H:%M:%S.%6f+00:00"
_PY_TS = {"sqlite": "%Y-%m-%d %H:%M:%S.%f", "postgresql": "%Y-%m-%d %H:%M:%S.%f+00:00"}


def _wire_format(frame: pl.DataFrame, dialect: str) -> pl.DataFrame:
    """Turn typed columns into the text or integers each driver takes fastest."""
    timestamp_format = _SQLITE_TS if dialect == "sqlite" else _PG_TS
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            utc = col.dt.convert_time_zone("UTC") if dtype.time_zone else col
            exprs.append(utc.dt.strftime(timestamp_format).alias(name))
        elif isinstance(dtype, pl.Decimal):
            exprs.append(col.cast(pl.String).alias(name))
        elif dtype == pl.Date:
            exprs.append(col.dt.strftime("%Y-%m-%d").alias(name))
        elif dtype == pl.Boolean and dialect == "sqlite":
            exprs.append(col.cast(pl.Int8).alias(name))
        else:
            exprs.append(col)
    return frame.select(exprs)


def _conflict_clause(table: Table, columns: Sequence[str], key: Sequence[str], dialect: str) -> str:
    stamps = ("created_at", "updated_at")
    compared = [c for c in columns if c not in key and c not in stamps]
    key_list = ", ".join(key)
    if not compared:
        return f" ON CONFLICT ({key_list}) DO NOTHING"
    sets = [f"{c} = excluded.{c}" for c in compared]
    if "updated_at" in columns:
        sets.append("updated_at = excluded.updated_at")
    if dialect == "sqlite":
        changed = " OR ".join(f"{table.name}.{c} IS NOT excluded.{c}" for c in compared)
    else:
        ours = ", ".join(f"{table.name}.{c}" for c in compared)
        theirs = ", ".join(f"excluded.{c}" for c in compared)
        changed = f"({ours}) IS DISTINCT FROM ({theirs})"
    return f" ON CONFLICT ({key_list}) DO UPDATE SET {', '.join(sets)} WHERE {changed}"


def write_frame(
    conn: Connection,
    table: Table,
    frame: pl.DataFrame,
    *,
    key: Sequence[str] | None = None,
    stamp: datetime | None = None,
    skip_existing: bool = False,
) -> int:
    """Write ``frame`` into ``table``; return how many rows were inserted or changed.

    With ``key`` (unique columns) rows are upserted, and rows equal to the stored ones are
    left untouched; without it every row is inserted (a duplicate key raises). ``stamp``
    sets ``created_at`` on new rows and ``updated_at`` on new and changed rows. The caller
    owns the transaction. With ``skip_existing`` a row whose ``key`` is taken is left out
    (``ON CONFLICT DO NOTHING``): for append-only tables, whose rows are never changed.
    """
    if frame.height == 0:
        return 0
    dialect = conn.dialect.name
    constants: dict[str, str] = {}
    if stamp is not None:
        # The same stamp for every row: one literal in the SQL, not a value per row.
        text = stamp.astimezone(UTC).strftime(_PY_TS[dialect])
        constants = {"created_at": text, "updated_at": text}
    columns = [*frame.columns, *constants]
    conflict = _conflict_clause(table, columns, key, dialect) if key else ""
    if key and skip_existing:
        conflict = f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
    raw = conn.connection.driver_connection
    writer = _write_sqlite if dialect == "sqlite" else _write_postgres
    changed = 0
    done = 0
    if dialect == "sqlite":
        # big frames cross into SQLite in C, through attached staging files (staging.py)
        for part in frame.iter_slices(staging.STAGE_MAX_ROWS):
            if not staging.usable(raw, part.height):
                break
            source = staging.stage(raw, _wire_format(part, dialect).to_arrow())
            changed += _insert_select(raw, table, source, part.columns, constants, conflict)
            done += part.height
    # Slices bound the memory of the driver's Python tuples (or CSV text) for huge frames.
    rest = frame.slice(done)
    for part in rest.iter_slices(CHUNK_ROWS) if rest.height else ():
        wire = _wire_format(part, dialect)
        changed += writer(conn, table, wire, constants, conflict, key is not None)
    return changed


def insert_frames(conn: Connection, writes: Sequence[tuple[Table, pl.DataFrame]]) -> list[int]:
    """Insert several frames, in order; return the rows each wrote.

    On SQLite the big frames' staging files are written side by side in two threads while
    the connection copies the ones already written: at a million customers the scoring run's
    three history frames take 5 s instead of 8. Elsewhere, ``write_frame`` one by one.
    """
    raw = conn.connection.driver_connection
    big = [
        i
        for i, (_, frame) in enumerate(writes)
        if conn.dialect.name == "sqlite"
        and staging.STAGE_MIN_ROWS <= frame.height <= staging.STAGE_MAX_ROWS
    ][: staging.room(raw)]
    if len(big) < 2 or not staging.usable(raw, staging.STAGE_MIN_ROWS):
        return [write_frame(conn, table, frame) for table, frame in writes]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tenure-staging") as pool:
        prepared = {
            i: pool.submit(staging.prepare, _wire_format(writes[i][1], "sqlite").to_arrow())
            for i in big
        }
        try:
            written = []
            for i, (table, frame) in enumerate(writes):
                if i not in prepared:
                    written.append(write_frame(conn, table, frame))
                    continue
                source = staging.attach(raw, prepared.pop(i).result())
                written.append(_insert_select(raw, table, source, frame.columns, {}, ""))
            return written
        finally:  # files written for a write that never came: removed
            for future in prepared.values():
                if not future.cancel() and future.exception() is None:
                    future.result().unlink(missing_ok=True)


def _select_list(columns: Sequence[str], constants: dict[str, str]) -> tuple[str, str]:
    """Return the target column list and the matching SELECT list (constants as literals)."""
    names = [*columns, *constants]
    values = [*columns, *(f"'{v}'" for v in constants.values())]
    return ", ".join(names), ", ".join(values)


def _insert_select(
    raw: Any,
    table: Table,
    source: str,
    columns: Sequence[str],
    constants: dict[str, str],
    conflict: str,
) -> int:
    """Copy ``source``'s rows into ``table`` in one statement; return the rows written."""
    names, values = _select_list(columns, constants)
    cursor = raw.cursor()
    try:
        # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) SELECT {values} "  # noqa: S608
            f"FROM {source} WHERE true{conflict}"
        )
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _write_sqlite(
    conn: Connection,
    table: Table,
    wire: pl.DataFrame,
    constants: dict[str, str],
    conflict: str,
    upsert: bool,
) -> int:
    marks = ", ".join(["?"] * wire.width + [f"'{v}'" for v in constants.values()])
    names, _ = _select_list(wire.columns, constants)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if not upsert:
            cursor.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks})",  # noqa: S608
                wire.rows(),
            )
            return int(cursor.rowcount)
        # A row-by-row upsert costs a statement each; an unindexed staging table filled by
        # executemany and one set-based INSERT ... SELECT is faster (measured 106k → 124k/s).
        temp_table = f"_stage_{table.name}"
        # Dropped first: a rolled-back transaction may have resurrected an older one.
        cursor.execute(f"DROP TABLE IF EXISTS temp.{temp_table}")
        cursor.execute(
            f"CREATE TEMP TABLE {temp_table} AS "  # noqa: S608
            f"SELECT {', '.join(wire.columns)} FROM {table.name} WHERE 0"
        )
        cursor.executemany(
            f"INSERT INTO {temp_table} VALUES ({', '.join(['?'] * wire.width)})",  # noqa: S608
            wire.rows(),
        )
        raw = conn.connection.driver_connection
        changed = _insert_select(raw, table, temp_table, wire.columns, constants, conflict)
        cursor.execute(f"DROP TABLE {temp_table}")
        return changed
    finally:
        cursor.close()


def _write_postgres(
    conn: Connection,
    table: Table,
    wire: pl.DataFrame,
    constants: dict[str, str],
    conflict: str,
    upsert: bool,
) -> int:
    names, values = _select_list(wire.columns, constants)
    staging = f"_stage_{table.name}"
    buffer = io.BytesIO()
    # Empty strings are quoted so COPY keeps them apart from NULL (written as nothing).
    wire.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staging}")
        cursor.execute(
            f"CREATE TEMP TABLE {staging} "  # noqa: S608
            f"AS SELECT {', '.join(wire.columns)} FROM {table.name} WITH NO DATA"
        )
        columns = ", ".join(wire.columns)
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) "  # noqa: S608
            f"SELECT {values} FROM {staging}{conflict}"
        )
        changed = int(cursor.rowcount)
        cursor.execute(f"DROP TABLE {staging}")
        if "id" in wire.columns:
            # Explicit ids leave the serial sequence behind; move it past them.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
    return changed


@contextmanager
def secondary_indexes_deferred(conn: Connection, table: Table) -> Iterator[None]:
    """Drop ``table``'s non-unique indexes for a bulk load into it, then rebuild them.

    Building an index once over sorted data is faster than maintaining it row by row
    (measured: 10.2 s → 6.5 s for 1.45M events on SQLite). Only for loads into empty tables.
    """
    indexes = [ix for ix in table.indexes if not ix.unique]
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)
