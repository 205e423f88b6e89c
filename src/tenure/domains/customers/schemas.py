"""What a customer looks like coming in: a new one, and a change to one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tenure.kit.ids import StoreId
from tenure.kit.limits import refuse_nul, small_json
from tenure.kit.zones import canonical_zone


class CustomerChange(BaseModel):
    """Fields of a customer a person or another system may set; only the sent ones change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(None, max_length=64)
    company: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=100)
    company_size: str | None = Field(None, max_length=32)
    region: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=100)
    city: str | None = Field(None, max_length=100)
    timezone: str | None = Field(
        None,
        max_length=64,
        description="IANA time zone, e.g. Asia/Shanghai; null: the business's.",
        examples=["Asia/Shanghai"],
    )
    birthday: date | None = None
    gender: str | None = Field(None, max_length=32)
    acquisition_channel: str | None = Field(None, max_length=64)
    acquired_at: datetime | None = None
    owner_id: StoreId | None = Field(None, description="The user who looks after this customer.")
    tags: list[str] | None = Field(None, max_length=50)
    attributes: dict[str, Any] | None = None
    # never null: a change either sends true or false, or leaves the consent alone
    email_consent: bool = False
    sms_consent: bool = False

    _no_nul = field_validator("*")(refuse_nul)
    _small_attributes = field_validator("attributes")(small_json)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        found = canonical_zone(value)
        if found is None:
            raise ValueError(f"unknown time zone {value!r} (an IANA name, e.g. Asia/Shanghai)")
        return found

    def sent(self) -> dict[str, Any]:
        """Return only the fields the caller sent (an explicit null clears a field)."""
        return self.model_dump(include=self.model_fields_set)


class NewCustomer(CustomerChange):
    """A customer to create; ``external_id`` is their id in the caller's own systems."""

    external_id: str = Field(min_length=1, max_length=128)
