"""An event as another system sends it: its own id, the customer's id, what, when."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from tenure.domains.events.models import SystemEventType
from tenure.kit.limits import refuse_nul, small_json

SYSTEM_TYPES = frozenset(kind.value for kind in SystemEventType)


class IncomingEvent(BaseModel):
    """One event; sending the same ``id`` again changes nothing."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128, description="The event's id in your system.")
    customer: str = Field(min_length=1, max_length=128, description="The customer's external id.")
    type: str = Field(min_length=1, max_length=64, examples=["login", "feature_use"])
    occurred_at: AwareDatetime = Field(description="When it happened, with its UTC offset.")
    properties: dict[str, Any] | None = None

    _no_nul = field_validator("*")(refuse_nul)
    _small_properties = field_validator("properties")(small_json)

    @field_validator("type")
    @classmethod
    def _not_a_system_type(cls, value: str) -> str:
        if value in SYSTEM_TYPES:
            raise ValueError(
                f"{value!r} is an event type Tenure writes itself; send a type of your own"
            )
        return value


class IngestResult(BaseModel):
    """What became of a batch: stored, seen before, refused (with the position and why)."""

    accepted: int
    duplicates: int
    rejected: list[dict[str, Any]]
