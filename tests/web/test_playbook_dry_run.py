"""The playbook page's "Dry run on history": ask, wait (htmx), read the figures, both languages;
and in a real browser at a phone's width, in 中文.

With ``TENURE_SHOTS=<folder>`` the browser test saves screenshots there, to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine

from tenure.domains.audit.service import Actor
from tenure.domains.automation import dry_run_records, service
from tenure.domains.automation.dry_run import simulate
from tenure.domains.automation.loading import parse
from tenure.kit.clock import SystemClock
from tenure.kit.settings import Settings, WorkerSettings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction
from tenure.web.app import create_app
from tenure.worker import dry_runs
from tests.conftest import served
from tests.web.conftest import END, PASSWORD, sign_in, table_rows
from tests.web.test_browser import CHROMIUM_FLAGS
from tests.web.test_phone_width import WIDEST

PLAYBOOK = """\
name: web-dry
title: {en: Win back on trial, zh: 试运行挽回}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0.3}
goal: {purchase: true, within_days: 30}
steps:
  - send_email: {template: win-back-offer}
  - wait: {days: 2}
  - create_task: {title: {en: Call them}, assignee: {to: owner, fallback: csm}}
"""
FROM, TO = END - timedelta(days=59), END


def _published(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        if service.listing(conn) and any(p.name == "web-dry" for p in service.listing(conn)):
            return
        service.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "web-dry.yaml")])


def _walked(engine: Engine, client: TestClient) -> None:
    """Wait for the dry run: the server's worker walks it, or this test does."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        dry_runs.walk_one(engine, Settings(), SystemClock(), "web-test", timedelta(seconds=60), 3)
        answer = client.get("/playbooks/web-dry/dry-run")
        if answer.headers.get("HX-Refresh") == "true":
            return
        assert 'hx-trigger="every 2s"' in answer.text  # still waiting: htmx asks again
        time.sleep(0.5)
    pytest.fail("the dry run did not finish")


def _direct(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        playbook = parse(PLAYBOOK, "web-dry.yaml").playbook
        return simulate(conn, playbook, FROM, TO, business_today("UTC"), Settings())


def test_ask_wait_and_read_a_dry_run_in_both_languages(
    app_client: TestClient, demo_engine: Engine
) -> None:
    _published(demo_engine)
    csrf = sign_in(app_client, "viewer")
    before = app_client.get("/playbooks/web-dry").text
    assert "Dry run on history" in before and 'id="dry-run-form"' in before
    assert 'id="dry-run-totals"' not in before
    asked = app_client.post(
        "/playbooks/web-dry/dry-runs",
        data={"from": FROM.isoformat(), "to": TO.isoformat(), "lang": "zh", "csrf": csrf},
        follow_redirects=False,
    )
    assert (
        asked.status_code == 303
        and asked.headers["location"] == "/playbooks/web-dry?lang=zh#dry-run"
    )
    _walked(demo_engine, app_client)
    direct = _direct(demo_engine)
    en = app_client.get("/playbooks/web-dry?lang=en").text
    entered = re.search(r'data-dry="entered">([^<]+)<', en)
    assert entered is not None and entered[1] == f"{direct['totals']['entered']:,}"
    weeks = table_rows(en, "dry-run-weeks")
    assert [int(r[1].replace(",", "")) for r in weeks] == [w["entries"] for w in direct["weeks"]]
    owners = table_rows(en, "dry-run-owners")
    emails = sum(int(r[1].replace(",", "")) for r in owners)
    tasks = sum(int(r[2].replace(",", "")) for r in owners)
    assert (emails, tasks) == (
        direct["workload"]["emails_sent"],
        direct["workload"]["tasks_created"],
    )
    goal = dict((r[0], r) for r in table_rows(en, "dry-run-goal"))
    assert goal["Everyone"][1] == f"{direct['goal']['all']['observed']:,}"
    assert "observation, not lift" in en and 'id="chart-dry_run_entries"' in en
    zh = app_client.get("/playbooks/web-dry?lang=zh").text
    assert "历史试运行" in zh and "每周进入人数" in zh and "负责人工作量" in zh
    # a task for a customer without an owner goes to the fallback role, said in words
    keys = {row["owner"] for kind in ("emails", "tasks") for row in direct["workload"][kind]}
    shown_zh = [r[0] for r in table_rows(zh, "dry-run-owners")]
    shown_en = [r[0] for r in owners]
    assert "role:csm" in keys and not any("role:" in o for o in shown_en + shown_zh)
    assert "customer success (by role)" in shown_en
    assert "客户成功（按角色）" in shown_zh
    assert 'name="lang" value="zh"' in zh


def test_a_bad_range_names_the_field(app_client: TestClient, demo_engine: Engine) -> None:
    _published(demo_engine)
    csrf = sign_in(app_client, "viewer")
    url = "/playbooks/web-dry/dry-runs"
    garbled = app_client.post(url, data={"from": "March", "to": TO.isoformat(), "csrf": csrf})
    assert garbled.status_code == 422 and "from" in garbled.text
    backwards = app_client.post(
        url, data={"from": TO.isoformat(), "to": FROM.isoformat(), "csrf": csrf}
    )
    assert backwards.status_code == 422 and "is after to" in backwards.text
    ahead = (date.today() + timedelta(days=5)).isoformat()
    future = app_client.post(url, data={"from": FROM.isoformat(), "to": ahead, "csrf": csrf})
    assert future.status_code == 422 and "to:" in future.text


def _shot(page: object, name: str) -> None:
    folder = os.environ.get("TENURE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.mark.browser
def test_the_dry_run_draws_at_a_phone_width_in_chinese(demo_engine: Engine) -> None:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    _published(demo_engine)
    with write_transaction(demo_engine) as conn:
        dry_run_records.request(
            conn, Actor(None, "cli"), "web-dry", FROM, TO, business_today("UTC"), "UTC"
        )
    while dry_runs.walk_one(
        demo_engine, Settings(), SystemClock(), "web-test", timedelta(seconds=60), 3
    ):
        pass
    quiet = Settings(worker=WorkerSettings(in_server=False))
    with served(create_app(demo_engine, quiet)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/login")
        page.fill('input[name="email"]', "viewer@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        for lang, width in (("en", 1280), ("zh", 1280), ("zh", 390), ("en", 390)):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{url}/playbooks/web-dry?lang={lang}#dry-run")
            assert page.locator("#dry-run-totals").count() == 1, page.inner_text("#dry-run")
            page.wait_for_selector('#chart-dry_run_entries[data-drawn="yes"]', timeout=15_000)
            page.wait_for_selector('#chart-dry_run_workload[data-drawn="yes"]', timeout=15_000)
            if lang == "zh":
                assert "历史试运行" in page.inner_text("#dry-run")
            page.locator("#dry-run").scroll_into_view_if_needed()
            _shot(page, f"playbook-dry-run-{lang}-{width}")
            if width == 390:
                found = page.evaluate(WIDEST, 1)
                assert found["scroll"] <= found["screen"] + 1, found["past"]
        browser.close()
