"""How the scoring run values customers: ``[value]``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ValueSettings(BaseModel):
    """How the scoring run values customers (docs/clv.md)."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN would score no one

    model: str = Field(default="bgnbd", description="Transaction model: bgnbd or paretonbd.")
    p_alive: str = Field(
        default="churn_model",
        description="Where P(alive) comes from: churn_model (1 − the churn model's risk: "
        "the chance of a purchase or activity in its horizon; the transaction model where "
        "the churn model cannot learn) or transaction_model.",
    )
    margin: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of revenue kept as gross margin: for CLV, gross margin so far and ROI.",
    )
    monthly_discount_rate: float = Field(default=0.01, ge=0, description="Discount per month.")
    horizon_months: int = Field(default=12, ge=1, le=120, description="CLV horizon in months.")

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in ("bgnbd", "paretonbd"):
            raise ValueError(f"value model must be bgnbd or paretonbd, not {value!r}")
        return value

    @field_validator("p_alive")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in ("churn_model", "transaction_model"):
            raise ValueError(f"p_alive must be churn_model or transaction_model, not {value!r}")
        return value
