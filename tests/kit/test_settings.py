"""The settings package: one module per section, read as before through ``tenure.kit.settings``."""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import tenure.kit.settings as settings_package
from tenure.kit.settings import Settings, load_settings

SECTIONS = {
    "database": "DatabaseSettings",
    "business": "BusinessSettings",
    "imports": "ImportSettings",
    "stages": "StageSettings",
    "value": "ValueSettings",
    "health": "HealthSettings",
    "leads": "LeadSettings",
    "churn": "ChurnSettings",
    "server": "ServerSettings",
    "worker": "WorkerSettings",
    "messaging": "MessagingSettings",
    "webhooks": "WebhookSettings",
    "access": "AccessSettings",
    "automation": "AutomationSettings",
    "cross_sell": "CrossSellSettings",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TENURE_* variable and no tenure.toml of the machine's."""
    for name in list(os.environ):
        if name.startswith("TENURE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_section_lives_in_its_module_and_is_exported() -> None:
    for field, name in SECTIONS.items():
        section = getattr(settings_package, name)
        assert issubclass(section, BaseModel)
        assert section.__module__ == f"tenure.kit.settings.{field}"
        assert Settings.model_fields[field].annotation is section
    assert set(Settings.model_fields) == {"environment", *SECTIONS}
    schema = Settings.model_json_schema()
    # … and the parts a section is made of (the lead score's ideal-customer rules)
    assert set(schema["$defs"]) == {*SECTIONS.values(), "FitRule"}


def test_environment_and_toml_are_read_as_before(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = "[stages]\nnew_window_days = 33\n[server]\nport = 9000\n"
    (clean_env / "custom.toml").write_text(toml)
    monkeypatch.setenv("TENURE_CONFIG", "custom.toml")
    monkeypatch.setenv("TENURE_STAGES__CHURN_AFTER_DAYS", "200")
    monkeypatch.setenv("TENURE_SERVER__PORT", "9100")  # the environment wins over the file
    monkeypatch.setenv("TENURE_DATABASE_URL", "sqlite:///short.db")  # the short form
    settings = load_settings()
    assert settings.stages.churn_after_days == 200
    assert settings.stages.new_window_days == 33
    assert settings.server.port == 9100
    assert settings.database.url == "sqlite:///short.db"


def test_defaults(clean_env: Path) -> None:
    settings = Settings()
    assert settings.database.url == settings_package.DEFAULT_DATABASE_URL
    assert settings.stages.params()["churn_after_days"] == 180
    assert "preset" not in settings.stages.params()
    assert settings.business.timezone == "UTC"


def test_the_send_window_is_read_from_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = Settings().messaging
    assert (defaults.send_window_start, defaults.send_window_end) == (time(8), time(21))
    assert defaults.send_window_days == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    monkeypatch.setenv("TENURE_MESSAGING__SEND_WINDOW_START", "09:30")
    monkeypatch.setenv("TENURE_MESSAGING__SEND_WINDOW_DAYS", '["mon", "fri"]')
    window = load_settings().messaging
    assert (window.send_window_start, window.send_window_days) == (time(9, 30), ["mon", "fri"])
    monkeypatch.setenv("TENURE_MESSAGING__SEND_WINDOW_DAYS", '["someday"]')
    with pytest.raises(ValidationError, match="send_window_days"):
        load_settings()
