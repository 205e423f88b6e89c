"""Small helpers for import tests: write a file, run an import, read the store back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from tenure.domains.dataio.mapping import MappingRequest
from tenure.domains.dataio.service import ImportOptions, ImportReport, import_file

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def run(
    conn: Connection,
    entity: str,
    path: Path,
    *,
    preset: str | None = None,
    pairs: list[str] | None = None,
    mapping_file: Path | None = None,
    **options: Any,
) -> ImportReport:
    request = MappingRequest(preset=preset, mapping_file=mapping_file, pairs=pairs or [])
    return import_file(conn, ImportOptions(entity, path, mapping=request, **options), now=NOW)


def count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def rows(conn: Connection, sql: str) -> list[Any]:
    return list(conn.execute(text(sql)).all())


CUSTOMERS = """customer_id,email,name,acquisition_channel,acquired_at,plan
c1,ann@example.com,Ann Lee,referral,2024-01-05,pro
c2,bob@example.com,Bob Ng,social,2024-01-06 09:30,
c3,,王芳,search_ads,2024-01-07T10:00:00+08:00,basic
"""
