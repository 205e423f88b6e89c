"""The Surveys and Feedback pages, filled, read on a phone (390 px) in both languages."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine

from tenure.kit.settings import Settings, WorkerSettings
from tenure.web.app import create_app
from tests.conftest import served
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM_FLAGS
from tests.web.test_feedback_pages import store  # noqa: F401  (the filled store, as a fixture)
from tests.web.test_phone_width import PHONE, SLACK, WIDEST

pytestmark = pytest.mark.browser
PAGES = ("/surveys", "/surveys/nps", "/feedback", "/feedback/support")


def test_feedback_pages_fit_a_phone(store: Engine) -> None:  # noqa: F811
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    quiet = Settings(worker=WorkerSettings(in_server=False))
    wide = {}
    with served(create_app(store, quiet)) as url, sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(url + "/login")
        page.fill('input[name="email"]', "admin@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        for lang in ("en", "zh"):
            for path in PAGES:
                page.goto(f"{url}{path}?lang={lang}")
                page.wait_for_load_state("load")
                assert page.locator("h1").count() == 1
                if page.locator(".echart").count():  # a chart on the page is drawn, not blank
                    page.wait_for_selector('.echart[data-drawn="yes"]', timeout=15_000)
                    assert page.locator(".echart canvas").count() >= 1
                found = page.evaluate(WIDEST, SLACK)
                if found["scroll"] > found["screen"] + SLACK or found["past"]:
                    wide[f"{path}?lang={lang}"] = found
        charted = page.goto(f"{url}/surveys/nps")
        assert charted is not None and 'id="chart-survey-trend"' in page.content()
        browser.close()
    assert not wide, wide
