"""Thresholds of the lifecycle stage policy: ``[stages]``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StageSettings(BaseModel):
    """Thresholds of the lifecycle stage policy (docs/stages.md explains every rule)."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN would score no one

    preset: str = Field(
        default="ecommerce", description="ecommerce or saas (contract status drives the stages)."
    )
    new_window_days: int = Field(
        default=90,
        ge=1,
        description="A first purchase (or first contract) stays 'new' this long without a repeat.",
    )
    churn_after_days: int = Field(
        default=180, ge=1, description="Silent longer than this: churned."
    )
    won_back_days: int = Field(
        default=90, ge=1, description="A customer back after churning stays 'won back' this long."
    )
    overdue_multiple: float = Field(
        default=3.0,
        gt=0,
        description="Silent for this many times the customer's own typical gap: declining.",
    )
    overdue_min_days: int = Field(
        default=45, ge=0, description="…but only once silent at least this long."
    )
    activity_min_events: int = Field(
        default=4,
        ge=1,
        description="Activity trend counts only "
        "with at least this many events in the prior 30 days.",
    )
    activity_drop: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="Last 30 days' activity below this share of the 30 days before: declining.",
    )
    complaints_alarm: int = Field(
        default=2,
        ge=1,
        description="Complaints in 90 days that mark a subscription customer as declining.",
    )
    mature_min_purchases: int = Field(
        default=6, ge=2, description="Purchase days needed to be mature."
    )
    mature_min_tenure_days: int = Field(
        default=365,
        ge=1,
        description="Days since the first purchase (or contract) needed to be mature.",
    )
    declining_p_alive: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A buyer whose probability of being alive is below this (and who has not "
        "bought within their rhythm): declining; at or above it, never churned.",
    )
    churned_p_alive: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="A buyer whose probability of being alive is below this, silent for "
        "churned_min_days: churned.",
    )
    churned_min_days: int = Field(
        default=60,
        ge=0,
        description="No customer who bought within this many days is churned.",
    )
    recent_purchase_days: int = Field(
        default=14,
        ge=0,
        description="A purchase within this many days (or within the customer's own usual gap) "
        "keeps a customer out of declining.",
    )

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        if value not in ("ecommerce", "saas"):
            raise ValueError(f"stage preset must be ecommerce or saas, not {value!r}")
        return value

    def params(self) -> dict[str, float | int]:
        """Return the thresholds the rules refer to."""
        return self.model_dump(exclude={"preset"})
