"""What the API takes and gives for surveys: invitations asked for, answers sent from elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tenure.kit.ids import MAX_ID

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CustomerRef(BaseModel):
    """A customer by Tenure's id or by the id in your own systems (one of them)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    customer_external_id: ExternalId | None = None

    @model_validator(mode="after")
    def _one(self) -> CustomerRef:
        if (self.customer_id is None) == (self.customer_external_id is None):
            raise ValueError("give customer_id or customer_external_id (one of them)")
        return self


class NewInvitation(CustomerRef):
    """Ask for a personal link, to show in your product or put on your website (embedded)."""

    key: ExternalId = Field(description="Your idempotency key: asking again returns the same link.")
    channel: Literal["link", "api"] = "link"


class IncomingAnswer(CustomerRef):
    """An answer collected elsewhere (a kiosk, an app, a call): once per your ``id``."""

    id: ExternalId = Field(description="Your id of the answer: sending it again changes nothing.")
    answers: dict[str, Any] = Field(
        description="By question id: a number (scale, rating), an option's id (choice), a list "
        'of option ids (multiple) or a text. NPS: {"score": 9, "comment": "…"}.'
    )
    answered_at: datetime
    language: Literal["en", "zh"] = "en"


class TeamChange(BaseModel):
    """A team's settings to create or change; what is left out stays as it was."""

    model_config = ConfigDict(extra="forbid")

    name_en: str | None = Field(default=None, min_length=1, max_length=100)
    name_zh: str | None = Field(default=None, min_length=1, max_length=100)
    lead_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    assign: Literal["round_robin", "owner"] | None = None
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 90)

    def sent(self) -> dict[str, Any]:
        """Return the fields the caller gave (a null lead_id removes the lead)."""
        return self.model_dump(exclude_unset=True)


class RoutingFile(BaseModel):
    """A routing file's YAML text (docs/surveys.md, "Routing")."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1, max_length=100_000)
    file: str = Field(default="routing.yaml", min_length=1, max_length=300)


class FollowupClose(BaseModel):
    """How a survey follow-up ended: outcome, root cause, a note, and whether to ask again."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["contacted", "resolved", "not_reachable"]
    root_cause: Literal["product", "service", "price", "other"]
    note: str = Field(default="", max_length=400)
    ask: bool = Field(default=False, description="Send the rule's “did we resolve it?” survey.")
