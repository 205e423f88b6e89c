"""Row ids as they come in from outside: positive, and within the stores' 32-bit integer ids."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1  # ids are INTEGER on PostgreSQL (32 bits); SQLite holds the same and more
StoreId = Annotated[int, Field(ge=1, le=MAX_ID)]


def parse_id(text: str) -> int | None:
    """Return the id written in ``text`` (digits only, at most ``MAX_ID``), else None."""
    if not text.isdigit() or int(text) > MAX_ID:
        return None
    return int(text)
