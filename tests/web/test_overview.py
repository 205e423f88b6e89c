"""The overview page in both languages, on a real store."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.service import run_scoring
from tenure.kit.i18n import pick_language
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}")
    upgrade(engine)
    data = generate(DemoConfig(customers=500, seed=2, end=date(2026, 3, 31)))
    with engine.begin() as conn:
        load_into_store(conn, data, datetime(2026, 4, 1, tzinfo=UTC))
    with engine.begin() as conn:
        run_scoring(conn, date(2026, 3, 31), Settings())
    return engine


def test_overview_shows_what_was_loaded(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine, Settings()))
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-table="customers">500<' in page.text
    assert "<svg" in page.text
    assert "referral" in page.text


def test_overview_in_chinese(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine, Settings()))
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "数据概览" in page.text
    assert 'lang="zh-CN"' in page.text
    assert "What the store holds" in client.get("/?lang=en").text


def test_empty_store_teaches_the_next_step(tmp_path: object, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    page = TestClient(create_app(engine, Settings())).get("/")
    assert "tenure demo" in page.text
    assert "tenure import customers" in page.text


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("zh", "en-US", "zh"),
        (None, "zh-TW,en;q=0.5", "zh"),
        (None, "fr-FR,en;q=0.8", "en"),
        (None, None, "en"),
        ("xx", "de", "en"),
    ],
)
def test_language_choice(query: str | None, header: str | None, expected: str) -> None:
    assert pick_language(query, header) == expected
