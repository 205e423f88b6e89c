"""Row ids as they come in from outside: positive, and within the stores' 64-bit integers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1  # the largest BIGINT; SQLite's INTEGER holds the same
StoreId = Annotated[int, Field(ge=1, le=MAX_ID)]


def parse_id(text: str) -> int | None:
    """Return the id written in ``text`` (digits only, at most ``MAX_ID``), else None."""
    if not text.isdigit() or int(text) > MAX_ID:
        return None
    return int(text)
