"""The health score's weights and bands: ``[health]``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class HealthSettings(BaseModel):
    """Weights of the health score's signals and its bands (docs/stages.md)."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN would score no one

    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "p_alive": 0.3,
            "recency": 0.25,
            "activity": 0.15,
            "nps": 0.15,
            "complaints": 0.15,
        },
        description="Weight of each signal: p_alive, recency, activity, nps, complaints.",
    )
    green_from: float = Field(default=70.0, ge=0, le=100, description="Green from this score.")
    red_below: float = Field(default=40.0, ge=0, le=100, description="Red below this score.")

    @field_validator("weights")
    @classmethod
    def _known_signals(cls, value: dict[str, float]) -> dict[str, float]:
        known = {"p_alive", "recency", "activity", "nps", "complaints"}
        if set(value) - known or any(w < 0 for w in value.values()) or not any(value.values()):
            raise ValueError(
                f"health weights: signals among {sorted(known)}, weights ≥ 0, not all zero"
            )
        return value
