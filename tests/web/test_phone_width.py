"""Every page of the menu reads on a phone (390 px) in both languages without sideways scrolling:
a wide table scrolls inside its own box, the page itself never does."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, select

from tenure.domains.customers.models import Customer
from tenure.kit.settings import Settings, WorkerSettings
from tenure.web.app import create_app
from tenure.web.render import MENU
from tests.conftest import served
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM_FLAGS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
# how far past the screen's right edge anything may reach, in CSS pixels (rounding)
SLACK = 1
WIDEST = """(slack) => {
  const screen = document.documentElement.clientWidth;
  const past = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // inside a box that scrolls on its own, reaching past the screen is that box's business
    let scroller = el.parentElement, inside = false;
    while (scroller && scroller !== document.body) {
      const style = getComputedStyle(scroller);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) { inside = true; break; }
      scroller = scroller.parentElement;
    }
    if (!inside && box.right > screen + slack) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
      past.push(name + ' ' + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, screen, past: past.slice(0, 5)};
}"""


@pytest.fixture(scope="module")
def phone(demo_engine: Engine) -> Iterator[tuple[str, Page]]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    quiet = Settings(worker=WorkerSettings(in_server=False))
    with served(create_app(demo_engine, quiet)) as url, sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(url + "/login")
        page.fill('input[name="email"]', "admin@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        yield url, page
        browser.close()


def _pages(engine: Engine, playbook: str) -> list[str]:
    with engine.connect() as conn:
        customer = conn.execute(select(Customer.id).order_by(Customer.id).limit(1)).scalar_one()
    more = [f"/customers/{customer}", f"/playbooks/{playbook}"]
    return [href for href, _label, _need in MENU] + more


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_scrolls_sideways_on_a_phone(
    phone: tuple[str, Page], demo_engine: Engine, journeys_store: dict[str, Any], lang: str
) -> None:
    url, page = phone
    wide = {}
    for path in _pages(demo_engine, journeys_store["name"]):
        page.goto(f"{url}{path}{'&' if '?' in path else '?'}lang={lang}")
        page.wait_for_load_state("load")
        found = page.evaluate(WIDEST, SLACK)
        if found["scroll"] > found["screen"] + SLACK or found["past"]:
            wide[path] = found
    assert not wide, wide
