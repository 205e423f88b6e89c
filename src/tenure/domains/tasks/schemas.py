"""What a task looks like coming in: a new one, a change, a completion."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tenure.kit.ids import StoreId
from tenure.kit.limits import refuse_nul


class TaskChange(BaseModel):
    """Fields of an open task that may change; only the sent ones do."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=2000)
    due_on: date | None = None
    assignee_id: StoreId | None = None

    @field_validator("title")
    @classmethod
    def _title_kept(cls, value: str | None) -> str:
        # a task always has a title: sending null does not clear it
        if value is None:
            raise ValueError("a task needs a title; leave the field out to keep it")
        return value

    _no_nul = field_validator("*")(refuse_nul)

    def sent(self) -> dict[str, Any]:
        """Return only the fields the caller sent."""
        return self.model_dump(include=self.model_fields_set)


class NewTask(BaseModel):
    """A task for a customer; without an assignee it goes to the customer's owner."""

    model_config = ConfigDict(extra="forbid")

    customer_id: StoreId
    title: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=2000)
    due_on: date | None = None
    assignee_id: StoreId | None = None
    checklist: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50, description="Steps to tick off, in order."
    )
    requires_root_cause: bool = Field(
        default=False, description="Completing it needs a root cause: product, service, price…"
    )

    _no_nul = field_validator("*")(refuse_nul)


class Completion(BaseModel):
    """What came of a task (and, when the task asks, why the customer was lost)."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(min_length=1, max_length=500)
    root_cause: Literal["product", "service", "price", "other"] | None = None

    _no_nul = field_validator("*")(refuse_nul)


class Tick(BaseModel):
    """A checklist step ticked off (or not)."""

    model_config = ConfigDict(extra="forbid")

    done: bool = True
