"""Result rows as plain dicts, ready to answer with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def plain_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Return a row as a dict keyed by plain ``str``.

    SQLAlchemy names columns with a ``str`` subclass (``quoted_name``); a JSON encoder asks such
    a key for its attributes on every use — that was most of the API's time per answer.
    """
    return {str(k): v for k, v in row.items()}


def plain_rows(rows: Iterable[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """Return every row as a plain dict (``plain_row``)."""
    return [plain_row(r) for r in rows]
