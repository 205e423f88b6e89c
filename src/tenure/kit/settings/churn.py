"""The churn model: ``[churn]``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ChurnSettings(BaseModel):
    """The churn model (docs/stages.md): what counts as churn and how much past it learns from."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN would score no one

    enabled: bool = Field(default=True, description="Train and apply the churn model in each run.")
    horizon_days: int = Field(
        default=90,
        ge=14,
        le=365,
        description="A customer churns when this many days pass with no order and no activity.",
    )
    max_training_rows: int = Field(
        default=300_000,
        ge=1_000,
        description="Customers sampled (stably) from each past snapshot to train on.",
    )
