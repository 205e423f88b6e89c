"""The playbook page's uplift section and the overview's programme tile in a real browser: the
goal-rate chart draws, in both languages, and nothing reaches past a phone's screen.

With ``TENURE_SHOTS=<folder>`` the pages are also saved as screenshots there, to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine

from tenure.kit.settings import AutomationSettings, Settings, WorkerSettings
from tenure.web.app import create_app
from tests.conftest import served
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM_FLAGS
from tests.web.test_phone_width import WIDEST
from tests.web.test_playbook_effect_more import _enroll

pytestmark = pytest.mark.browser


def _shot(page: object, name: str) -> None:
    folder = os.environ.get("TENURE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_goal_rate_chart_draws_on_a_desk_and_on_a_phone(demo_engine: Engine) -> None:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    _enroll(demo_engine)
    quiet = Settings(
        worker=WorkerSettings(in_server=False),
        automation=AutomationSettings(global_control_share=0.5, programme_window_days=30),
    )
    with served(create_app(demo_engine, quiet)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/login")
        page.fill('input[name="email"]', "viewer@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        for lang, width in (("en", 1280), ("zh", 1280), ("en", 390), ("zh", 390)):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{url}/playbooks/web-weeks?lang={lang}")
            page.wait_for_selector('#chart-goal_rate[data-drawn="yes"]', timeout=15_000)
            assert page.locator("#chart-goal_rate canvas").count() >= 1
            _shot(page, f"playbook-effect-{lang}-{width}")
            if width == 390:
                found = page.evaluate(WIDEST, 1)
                assert found["scroll"] <= found["screen"] + 1, found["past"]
            # the overview's tile of the whole programme (a global control is set)
            page.goto(f"{url}/?lang={lang}")
            page.wait_for_selector("#programme-lift")
            _shot(page, f"overview-{lang}-{width}")
            if width == 390:
                found = page.evaluate(WIDEST, 1)
                assert found["scroll"] <= found["screen"] + 1, found["past"]
        browser.close()
