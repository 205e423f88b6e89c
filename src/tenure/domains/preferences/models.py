"""ORM model of a group of settings saved in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base


class StoredSettings(Base):
    """One settings group (``stages``, ``health``) as saved in the web app; wins over the file."""

    __tablename__ = "stored_settings"

    group: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
