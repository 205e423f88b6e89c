"""What a task looks like coming in: a new one, a change, a completion."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tenure.kit.ids import StoreId


class TaskChange(BaseModel):
    """Fields of an open task that may change; only the sent ones do."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=2000)
    due_on: date | None = None
    assignee_id: StoreId | None = None

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


class Completion(BaseModel):
    """What came of a task."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(min_length=1, max_length=500)
