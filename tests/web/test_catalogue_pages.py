"""Keys from data and code show in the reader's language: stage rules, their figures, bands,
channels, roles and audit entries — no raw key and no escaped 中文."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.domains.scoring import views
from tenure.kit.vocabulary import STAGE_RULES
from tenure.storage.engine import write_transaction
from tests.web.conftest import sign_in


def test_a_360_says_its_stage_rule_and_figures_in_words(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with demo_engine.connect() as conn:
        current = views.customer_stages
        customer_id, rule = conn.execute(
            select(current.c.customer_id, current.c.rule)
            .where(current.c.rule == "overdue")
            .limit(1)
        ).one()
    sign_in(app_client, "viewer")
    zh = app_client.get(f"/customers/{customer_id}?lang=zh").text
    assert STAGE_RULES[rule]["zh"] in zh
    figures = re.search(r'id="stage-figures">([^<]+)<', zh)
    assert figures is not None
    assert "overdue_ratio" not in figures[1] and "倍" in figures[1]
    en = app_client.get(f"/customers/{customer_id}?lang=en").text
    shown = re.search(r'id="stage-figures">([^<]+)<', en)
    assert shown is not None and "their usual gap since the last purchase" in shown[1]


def test_the_audit_log_reads_in_chinese_without_escapes(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        changes.create_customer(
            conn, Actor(None, "cli"), {"external_id": "AUD-1", "tags": ["重点客户"]}
        )
    sign_in(app_client, "admin")
    page = app_client.get("/audit?lang=zh").text
    assert "重点客户" in page and "\\u91cd" not in page
    assert 'data-action="customer.create">创建客户' in page
