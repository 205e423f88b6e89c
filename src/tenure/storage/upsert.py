"""Insert rows, skipping those whose key is stored already: idempotent ingestion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: str) -> int:
    """Insert ``rows``, skipping any whose unique ``key`` exists; return how many went in.

    ON CONFLICT DO NOTHING (both databases): two senders of the same rows at once cannot
    fail each other or store a row twice.
    """
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    )
    return len(conn.execute(statement, list(rows)).all())
