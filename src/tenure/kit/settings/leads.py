"""The lead score of potential customers: ``[leads]``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class LeadSettings(BaseModel):
    """The lead score of potential customers (docs/stages.md)."""

    fit_rules: list[dict[str, Any]] = Field(
        default_factory=lambda: [
            {
                "when": {
                    "field": "acquisition_channel",
                    "op": "in",
                    "value": ["referral", "events", "partners"],
                },
                "points": 40,
            },
            {"when": {"field": "email_consent", "op": "=", "value": True}, "points": 30},
            {
                "when": {
                    "field": "company_size",
                    "op": "in",
                    "value": ["51-200", "201-1000", "1000+"],
                },
                "points": 30,
            },
        ],
        description="Ideal-customer rules: a filter tree ('when') and the points it is worth.",
    )
    engagement_half_life_days: float = Field(
        default=14.0, gt=0, description="An event's weight halves every this many days."
    )
    engagement_scale: float = Field(
        default=10.0, gt=0, description="Decayed engagement that scores 63 of 100."
    )
    fit_weight: float = Field(
        default=0.5, ge=0, le=1, description="Share of fit in the score; the rest is engagement."
    )
    conversion_horizon_days: int = Field(
        default=90,
        ge=7,
        le=365,
        description="The learned conversion model predicts a first purchase within this many days.",
    )
    hot_from: float = Field(default=70.0, ge=0, le=100, description="Hot from this score.")
    cold_below: float = Field(default=40.0, ge=0, le=100, description="Cold below this score.")
