"""Settings: environment variables ``TENURE_<GROUP>_<NAME>`` over ``tenure.toml`` over defaults.

``TENURE_DATABASE_URL`` is accepted as the short form of ``TENURE_DATABASE__URL`` because
it is the one setting almost everybody sets.
"""

from __future__ import annotations

from tenure.kit.settings.access import AccessSettings
from tenure.kit.settings.automation import AutomationSettings
from tenure.kit.settings.business import BusinessSettings
from tenure.kit.settings.churn import ChurnSettings
from tenure.kit.settings.cross_sell import CrossSellSettings
from tenure.kit.settings.database import DEFAULT_DATABASE_URL, DatabaseSettings
from tenure.kit.settings.health import HealthSettings
from tenure.kit.settings.imports import ImportSettings
from tenure.kit.settings.leads import LeadSettings
from tenure.kit.settings.messaging import MessagingSettings
from tenure.kit.settings.root import Settings, get_settings, load_settings
from tenure.kit.settings.server import ServerSettings
from tenure.kit.settings.stages import StageSettings
from tenure.kit.settings.value import ValueSettings
from tenure.kit.settings.webhooks import WebhookSettings
from tenure.kit.settings.worker import WorkerSettings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AccessSettings",
    "AutomationSettings",
    "BusinessSettings",
    "ChurnSettings",
    "CrossSellSettings",
    "DatabaseSettings",
    "HealthSettings",
    "ImportSettings",
    "LeadSettings",
    "MessagingSettings",
    "ServerSettings",
    "Settings",
    "StageSettings",
    "ValueSettings",
    "WebhookSettings",
    "WorkerSettings",
    "get_settings",
    "load_settings",
]
