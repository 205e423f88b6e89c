"""Every query the import and export use, on a Core connection (bulk work skips the ORM)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Table, delete, func, select

from tenure.domains.orders.models import OrderLine
from tenure.domains.registry import metadata
from tenure.storage.bulk import write_frame

_CHUNK = 5_000  # keeps IN (...) lists under every database's parameter limit


def table(name: str) -> Table:
    """Return the store table called ``name``.

    The import is one bulk loader over every entity it knows (``fields.ENTITIES`` names each
    one's table), so it looks tables up by name; they are typed ``Table``, never ``Any``.
    """
    return metadata().tables[name]


def count_rows(conn: Connection, name: str) -> int:
    """Return how many rows ``name`` holds."""
    return int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())


def id_map(conn: Connection, name: str, key: str) -> dict[str, int]:
    """Return ``key`` → id for every row of table ``name`` (e.g. customers' external ids)."""
    t = table(name)
    return {k: i for k, i in conn.execute(select(t.c[key], t.c.id))}


def ids_for(conn: Connection, name: str, keys: Iterable[str]) -> dict[str, int]:
    """Return external id → id for the given external ids of ``name``."""
    t = table(name)
    found: dict[str, int] = {}
    keys = list(keys)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = conn.execute(select(t.c.external_id, t.c.id).where(t.c.external_id.in_(chunk)))
        found.update({k: i for k, i in rows})
    return found


def create_customers(conn: Connection, first_seen: pl.DataFrame, now: datetime) -> None:
    """Insert bare customers (external id, acquired_at) for orders that name unknown ones."""
    frame = first_seen.select(
        pl.col("external_id"),
        pl.col("acquired_at"),
        pl.lit(False).alias("email_consent"),
        pl.lit(False).alias("sms_consent"),
    )
    write_frame(conn, table("customers"), frame, key=["external_id"], stamp=now)


def upsert(
    conn: Connection,
    name: str,
    frame: pl.DataFrame,
    key: list[str] | None,
    *,
    stamp: datetime | None,
) -> int:
    """Insert new rows and update changed ones by ``key``; return the rows changed.

    Without a key every row is inserted: for a first load into an empty table.
    """
    return write_frame(conn, table(name), frame, key=key, stamp=stamp)


def delete_stale_lines(conn: Connection, kept: pl.DataFrame) -> None:
    """Remove lines beyond each re-imported order's new line count."""
    # Few distinct line counts: one DELETE per (count, chunk of orders), not one per order.
    for (count,), group in kept.group_by(["lines"]):
        ids = group["order_id"].to_list()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            conn.execute(
                delete(OrderLine).where(OrderLine.order_id.in_(chunk), OrderLine.line_no > count)
            )
