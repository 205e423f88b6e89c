"""Every menu page in 中文 in a real browser (Debian's chromium): no key of the catalogue raw."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from tenure.kit.settings import Settings, WorkerSettings
from tenure.kit.vocabulary import VOCABULARIES
from tenure.web.app import create_app
from tests.conftest import served
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM_FLAGS

pytestmark = pytest.mark.browser

# every key of the catalogue, and its English label, as a reader would see it left raw (the
# names of settings are shown on purpose: they are what tenure.toml calls them)
KEYS = {key for kind, labels in VOCABULARIES.items() if kind != "stage_setting" for key in labels}
ENGLISH = {words["en"] for labels in VOCABULARIES.values() for words in labels.values()}
# keys that are also plain English words a page may show as data, never as a label (a
# template's name, "web" as the way a change came in), and NPS, which 中文 writes as NPS too
COMMON = {
    "new",
    "web",
    "app",
    "store",
    "events",
    "direct",
    "done",
    "open",
    "paid",
    "red",
    "NPS",
    "price",
}


@pytest.fixture(scope="module")
def server(demo_engine: Engine) -> Iterator[str]:
    quiet = Settings(worker=WorkerSettings(in_server=False))
    with served(create_app(demo_engine, quiet)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def untranslated(text: str) -> list[str]:
    """Return the catalogue's keys and English labels that ``text`` shows as themselves."""
    found = []
    for word in sorted((KEYS | ENGLISH) - COMMON):
        # a whole word: not part of an email, a file name, a path or a longer key
        if re.search(rf"(?<![\w@./\-]){re.escape(word)}(?![\w@/\-]|\.\w)", text):
            found.append(word)
    return found


def _visit(page: Page, url: str) -> str:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    # commands to type (an empty page's `tenure loyalty earn`) are literal, not words to translate
    page.evaluate('document.querySelectorAll("main pre, main code").forEach((e) => e.remove())')
    return page.locator("main").inner_text()


def test_every_menu_page_in_chinese_names_every_key_in_chinese(
    server: str, browser: Browser
) -> None:
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.goto(server + "/login?lang=zh")
    page.fill('input[name="email"]', "admin@web.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login button[type="submit"]')
    page.wait_for_url(server + "/*")
    links = page.locator("#menu a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(links) >= 12  # the administrator sees every page
    found: dict[str, list[str]] = {}
    for href in links:
        text = _visit(page, f"{server}{href}?lang=zh")
        assert re.search(r"[\u4e00-\u9fff]", text), href
        if raw := untranslated(text):
            found[href] = raw
    # a customer's 360, from the list
    _visit(page, f"{server}/customers?lang=zh&sort=-clv")
    customer = page.locator("#customer-list tbody tr a").first.get_attribute("href")
    assert customer is not None
    if raw := untranslated(_visit(page, f"{server}{customer}?lang=zh")):
        found[customer] = raw
    assert not found, f"untranslated on the 中文 pages: {found}"


def test_the_check_finds_a_raw_key() -> None:
    assert untranslated("阶段：won_back，渠道 search_ads") == ["search_ads", "won_back"]
    assert untranslated("渠道：search ads") == ["search ads"]
    assert untranslated("用户 anna@search_ads.example，文件 overdue_ratio.csv") == []
    assert untranslated("健康度 green") == ["green"]
