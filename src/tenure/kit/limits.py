"""Limits on what comes in from outside: no NUL characters in text, JSON fields of bounded size.

PostgreSQL cannot store a NUL character in text or JSON, and SQLite's string functions stop at
one; so text holding NUL is refused where it comes in, with the field named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_JSON_FIELD_BYTES = 32 * 1024  # event properties, customer attributes: as compact JSON


def nul_path(value: Any, where: str) -> str | None:
    """Return the path (``where.key.0``) of the first text holding a NUL character, or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and "\x00" in key:
                return inner.replace("\x00", "\\0")
            found = nul_path(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_path(item, f"{where}.{index}" if where else str(index))
            if found is not None:
                return found
    return None


def refuse_nul(value: Any) -> Any:
    """Pydantic validator: refuse text (or text inside lists and dicts) holding NUL."""
    if nul_path(value, "") is not None:
        raise ValueError("holds a NUL character (\\0), which the store cannot keep")
    return value


def small_json(value: Any, *, limit: int = MAX_JSON_FIELD_BYTES) -> Any:
    """Pydantic validator: refuse a JSON value larger than ``limit`` bytes (compact UTF-8)."""
    if value is None:
        return None
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())
    if size > limit:
        raise ValueError(f"is {size:,} bytes as JSON; at most {limit:,} are kept")
    return value
