"""ORM model of a customer (a lead until the first purchase)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tenure.storage.base import Base, Timestamped


class Customer(Timestamped, Base):
    """One person or company we know of; ``external_id`` is their id in the user's systems."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    company: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    company_size: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    # IANA name; None: the business zone. Send windows and timed waits use it.
    timezone: Mapped[str | None] = mapped_column(String(64))
    birthday: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(32))
    acquisition_channel: Mapped[str | None] = mapped_column(String(64), index=True)
    acquired_at: Mapped[datetime | None] = mapped_column(index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    tags: Mapped[list[str] | None]
    attributes: Mapped[dict[str, Any] | None]
    email_consent: Mapped[bool] = mapped_column(default=False)
    sms_consent: Mapped[bool] = mapped_column(default=False)
    # set when the person was erased: the row stays, anonymous, for the business's figures
    erased_at: Mapped[datetime | None]
