"""Surveys and customers for the surveys tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tenure.domains.registry import metadata
from tenure.domains.surveys import service
from tenure.kit.settings import MessagingSettings, Settings
from tests.factories import make_customer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings(messaging=MessagingSettings(unsubscribe_base_url="https://crm.shop.test/"))

FORM: dict[str, Any] = {
    "key": "suggestions",
    "kind": "form",
    "title": {"en": "Suggestions", "zh": "意见与建议"},
    "questions": [
        {
            "id": "topic",
            "type": "choice",
            "required": True,
            "label": {"en": "What is it about?", "zh": "关于什么？"},
            "options": [
                {"id": "billing", "label": {"en": "Billing", "zh": "账单"}},
                {"id": "product", "label": {"en": "Product", "zh": "产品"}},
            ],
        },
        {
            "id": "invoice",
            "type": "text",
            "label": {"en": "Invoice number", "zh": "发票号码"},
            "required": True,
            "show_if": {"question": "topic", "equals": ["billing"]},
        },
        {
            "id": "areas",
            "type": "multiple",
            "label": {"en": "Which parts?", "zh": "哪些部分？"},
            "options": [
                {"id": "app", "label": {"en": "App", "zh": "应用"}},
                {"id": "web", "label": {"en": "Website", "zh": "网站"}},
                {"id": "shop", "label": {"en": "Shop", "zh": "门店"}},
            ],
        },
        {"id": "stars", "type": "rating", "label": {"en": "Overall", "zh": "总体"}},
        {"id": "idea", "type": "text", "label": {"en": "Your idea", "zh": "您的想法"}},
    ],
}


def customer(session: Session, *, lang: str | None = None) -> int:
    made = make_customer(session)
    made.name = "Ann Lee"
    if lang is not None:
        made.attributes = {"preferred_language": lang}
    session.flush()
    return int(made.id)


def survey(conn: Connection, **spec: Any) -> service.StoredSurvey:
    data = {"key": "nps", "kind": "nps", "title": {"en": "NPS", "zh": "净推荐值"}} | spec
    stored, _ = service.apply(conn, service.parse(data), NOW)
    return stored


assert metadata().tables  # every table known, for the ORM's foreign keys
