"""How files are read into the store: ``[imports]``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportSettings(BaseModel):
    """How files are read into the store."""

    batch_rows: int = Field(
        default=100_000, ge=1_000, description="Rows read, checked and written per batch."
    )
    max_reported_errors: int = Field(
        default=20, ge=1, description="Problems printed in full; the rest are counted."
    )
