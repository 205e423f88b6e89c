"""Settings: environment variables ``TENURE_<GROUP>_<NAME>`` over ``tenure.toml`` over defaults.

``TENURE_DATABASE_URL`` is accepted as the short form of ``TENURE_DATABASE__URL`` because
it is the one setting almost everybody sets.
"""

from __future__ import annotations

import os
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite:///./tenure.db"


class DatabaseSettings(BaseModel):
    """Where the store lives."""

    url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (embedded default) or postgresql://...",
    )
    echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")


class BusinessSettings(BaseModel):
    """Facts about the business that change how numbers are read."""

    timezone: str = Field(
        default="UTC", description="IANA time zone that decides what a business day is."
    )
    currency: str = Field(
        default="USD", description="ISO 4217 code of the currency money is reported in."
    )
    locale: str = Field(
        default="en", description="Default language of pages and reports: en or zh."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a three-letter ISO 4217 code, got {value!r}")
        return value.upper()


class ImportSettings(BaseModel):
    """How files are read into the store."""

    batch_rows: int = Field(
        default=100_000, ge=1_000, description="Rows read, checked and written per batch."
    )
    max_reported_errors: int = Field(
        default=20, ge=1, description="Problems printed in full; the rest are counted."
    )


class StageSettings(BaseModel):
    """Thresholds of the lifecycle stage policy (docs/stages.md explains every rule)."""

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


class ValueSettings(BaseModel):
    """How the scoring run values customers (docs/clv.md)."""

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


class HealthSettings(BaseModel):
    """Weights of the health score's signals and its bands (docs/stages.md)."""

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


class ChurnSettings(BaseModel):
    """The churn model (docs/stages.md): what counts as churn and how much past it learns from."""

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


class ServerSettings(BaseModel):
    """The web server started by ``tenure serve``."""

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to listen on.")
    threads: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Requests one server process works on at once. The work is short database "
        "calls under Python's one lock: more threads mostly wait for each other (4 answered "
        "more API requests per second than 8, 16 or 40 on 2 cores).",
    )


class WorkerSettings(BaseModel):
    """The worker that does the background work (``tenure worker``, or inside ``tenure serve``)."""

    in_server: bool = Field(
        default=True,
        description="Run a worker on a thread of `tenure serve`. Turn it off where `tenure "
        "worker` runs as its own process (several servers, or PostgreSQL).",
    )
    daily_run: bool = Field(
        default=True, description="Score the store every day at `daily_run_at`."
    )
    daily_run_at: time = Field(
        default=time(2, 0), description="When the daily scoring run starts, business time."
    )
    poll_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="How often an idle worker looks for work."
    )
    lease_seconds: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="How long after a worker stops answering (killed, machine lost) another "
        "one takes over its work.",
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="A scoring run whose worker dies this many times is given up.",
    )


class Settings(BaseSettings):
    """All of Tenure's settings."""

    model_config = SettingsConfigDict(
        env_prefix="TENURE_",
        env_nested_delimiter="__",
        toml_file="tenure.toml",
        extra="ignore",
    )

    environment: str = Field(default="development", description="development, test or production.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    business: BusinessSettings = Field(default_factory=BusinessSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    stages: StageSettings = Field(default_factory=StageSettings)
    value: ValueSettings = Field(default_factory=ValueSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    leads: LeadSettings = Field(default_factory=LeadSettings)
    churn: ChurnSettings = Field(default_factory=ChurnSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first, then ``tenure.toml``, then the defaults."""
        toml_path = Path(os.environ.get("TENURE_CONFIG", "tenure.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )


def load_settings() -> Settings:
    """Read the settings afresh (tests and commands that change the environment use this)."""
    settings = Settings()
    short_url = os.environ.get("TENURE_DATABASE_URL")
    if short_url:
        settings.database.url = short_url
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return load_settings()
