"""The lead score of potential customers: ``[leads]``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The lead's own profile fields the run reads (the snapshot's customers): what an ideal-customer
# rule may name. A rule naming anything else would fail the run, so it is refused when saved.
FIT_FIELDS = ("acquisition_channel", "email_consent", "company_size")


class FitRule(BaseModel):
    """One ideal-customer rule: a filter tree over the lead's profile and the points it gives."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    when: dict[str, Any] = Field(description="A filter tree (docs/segments.md) over FIT_FIELDS.")
    points: float = Field(ge=-100, le=100, description="Points a lead meeting the rule earns.")
    label: dict[str, str] = Field(
        default_factory=dict,
        description="What the rule means, in words people read: {en: …, zh: …}.",
    )

    @field_validator("when")
    @classmethod
    def _names_profile_fields(cls, when: dict[str, Any]) -> dict[str, Any]:
        from tenure.kit.filters import to_polars  # polars only when a rule is checked

        try:
            to_polars(when, fields=set(FIT_FIELDS))
        except ValueError as exc:  # InvalidInput is a ValueError: pydantic names the field
            raise ValueError(str(exc)) from None
        return when

    def label_in(self, language: str) -> str | None:
        """Return the rule's words in ``language`` (else English, else none)."""
        return self.label.get(language) or self.label.get("en")


DEFAULT_FIT_RULES = [
    {
        "when": {
            "field": "acquisition_channel",
            "op": "in",
            "value": ["referral", "events", "partners"],
        },
        "points": 40,
        "label": {
            "en": "came through a referral, an event or a partner",
            "zh": "经推荐、活动或合作伙伴而来",
        },
    },
    {
        "when": {"field": "email_consent", "op": "=", "value": True},
        "points": 30,
        "label": {"en": "agreed to receive email", "zh": "同意接收邮件"},
    },
    {
        "when": {
            "field": "company_size",
            "op": "in",
            "value": ["51-200", "201-1000", "1000+"],
        },
        "points": 30,
        "label": {"en": "a company of more than 50 people", "zh": "公司规模超过 50 人"},
    },
]


class LeadSettings(BaseModel):
    """The lead score of potential customers (docs/stages.md)."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN would score no one

    fit_rules: list[FitRule] = Field(
        default_factory=lambda: [FitRule(**r) for r in DEFAULT_FIT_RULES],
        description="Ideal-customer rules: a filter tree ('when'), the points it is worth and "
        "its words ('label').",
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
