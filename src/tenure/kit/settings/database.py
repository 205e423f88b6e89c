"""Where the store lives: ``[database]``."""

from __future__ import annotations

from pydantic import BaseModel, Field

DEFAULT_DATABASE_URL = "sqlite:///./tenure.db"


class DatabaseSettings(BaseModel):
    """Where the store lives."""

    url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (embedded default) or postgresql://...",
    )
    echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")
