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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Table

CHUNK_ROWS = 250_000
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%6f"
_PG_TS = "%Y-%m-%d %H:%M:%S.%6f+00:00"


@dataclass(frozen=True)
class Upsert:
    """Upsert on the unique ``key`` columns; ``stamp`` maintains created_at/updated_at."""

    key: Sequence[str]
    stamp: bool = False


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


def _stamped(frame: pl.DataFrame, now: datetime) -> pl.DataFrame:
    stamp = pl.lit(now).cast(pl.Datetime("us", "UTC"))
    return frame.with_columns(stamp.alias("created_at"), stamp.alias("updated_at"))


def _conflict_clause(table: Table, columns: Sequence[str], upsert: Upsert, dialect: str) -> str:
    compared = [c for c in columns if c not in upsert.key and c not in ("created_at", "updated_at")]
    key = ", ".join(upsert.key)
    if not compared:
        return f" ON CONFLICT ({key}) DO NOTHING"
    sets = [f"{c} = excluded.{c}" for c in compared]
    if upsert.stamp:
        sets.append("updated_at = excluded.updated_at")
    if dialect == "sqlite":
        changed = " OR ".join(f"{table.name}.{c} IS NOT excluded.{c}" for c in compared)
    else:
        ours = ", ".join(f"{table.name}.{c}" for c in compared)
        theirs = ", ".join(f"excluded.{c}" for c in compared)
        changed = f"({ours}) IS DISTINCT FROM ({theirs})"
    return f" ON CONFLICT ({key}) DO UPDATE SET {', '.join(sets)} WHERE {changed}"


def write_frame(
    conn: Connection,
    table: Table,
    frame: pl.DataFrame,
    *,
    upsert: Upsert | None = None,
    now: datetime | None = None,
) -> int:
    """Write ``frame`` into ``table``; return how many rows were inserted or changed.

    Without ``upsert`` every row is inserted (a duplicate key raises). The caller owns the
    transaction. ``now`` is required when ``upsert.stamp`` is set.
    """
    if frame.height == 0:
        return 0
    if upsert is not None and upsert.stamp:
        if now is None:
            raise ValueError("write_frame: a stamped upsert needs `now`")
        frame = _stamped(frame, now)
    dialect = conn.dialect.name
    conflict = _conflict_clause(table, frame.columns, upsert, dialect) if upsert else ""
    writer = _write_sqlite if dialect == "sqlite" else _write_postgres
    changed = 0
    # Slices bound the memory of the driver's Python tuples (or CSV text) for huge frames.
    for part in frame.iter_slices(CHUNK_ROWS):
        changed += writer(conn, table, _wire_format(part, dialect), conflict)
    return changed


def _write_sqlite(conn: Connection, table: Table, wire: pl.DataFrame, conflict: str) -> int:
    columns = ", ".join(wire.columns)
    marks = ", ".join("?" for _ in wire.columns)
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks}){conflict}"  # noqa: S608
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, wire.rows())
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _write_postgres(conn: Connection, table: Table, wire: pl.DataFrame, conflict: str) -> int:
    columns = ", ".join(wire.columns)
    staging = f"_stage_{table.name}"
    buffer = io.BytesIO()
    # Empty strings are quoted so COPY keeps them apart from NULL (written as nothing).
    wire.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} "  # noqa: S608
            f"AS SELECT {columns} FROM {table.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM {staging}{conflict}"
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
