"""Facts about the business: ``[business]``."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator


class BusinessSettings(BaseModel):
    """Facts about the business that change how numbers are read."""

    timezone: str = Field(
        default="UTC", description="IANA time zone that decides what a business day is."
    )
    currency: str = Field(
        default="USD", description="ISO 4217 code of the currency money is reported in."
    )
    locale: str = Field(
        default="en", description="Default language of pages and reports: en or zh."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a three-letter ISO 4217 code, got {value!r}")
        return value.upper()
