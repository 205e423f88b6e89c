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
    busy_timeout_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="SQLite: how long a write waits for another writer (an import, a scoring "
        "run's write-back, other requests) before it gives up; the API then answers 503 with "
        "Retry-After and a command tries again. PostgreSQL does not use it.",
    )
