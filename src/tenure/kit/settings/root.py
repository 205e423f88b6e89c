"""All of Tenure's settings: the sections, where they are read from, and loading them."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tenure.kit.settings.access import AccessSettings
from tenure.kit.settings.automation import AutomationSettings
from tenure.kit.settings.business import BusinessSettings
from tenure.kit.settings.churn import ChurnSettings
from tenure.kit.settings.cross_sell import CrossSellSettings
from tenure.kit.settings.database import DatabaseSettings
from tenure.kit.settings.health import HealthSettings
from tenure.kit.settings.imports import ImportSettings
from tenure.kit.settings.leads import LeadSettings
from tenure.kit.settings.messaging import MessagingSettings
from tenure.kit.settings.server import ServerSettings
from tenure.kit.settings.stages import StageSettings
from tenure.kit.settings.value import ValueSettings
from tenure.kit.settings.webhooks import WebhookSettings
from tenure.kit.settings.worker import WorkerSettings


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
    cross_sell: CrossSellSettings = Field(default_factory=CrossSellSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    automation: AutomationSettings = Field(default_factory=AutomationSettings)

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
