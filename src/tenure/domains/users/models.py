"""ORM model of a Tenure user (minimal until accounts and roles arrive)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped


class Role(StrEnum):
    """What a user is allowed to do; enforced once the web app lands."""

    ADMIN = "admin"
    MANAGER = "manager"
    MARKETING = "marketing"
    SALES = "sales"
    CSM = "csm"
    VIEWER = "viewer"


class User(Timestamped, Base):
    """A person who signs in to Tenure and may own customers."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
