"""A form the server refuses comes back on its page filled in, with the reason beside it."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine

from tenure.kit.settings import Settings, WorkerSettings
from tenure.web.app import create_app
from tenure.web.kept_form import COOKIE
from tests.conftest import served
from tests.web.conftest import PASSWORD, owned_customer, sign_in
from tests.web.test_browser import ARTIFACTS, CHROMIUM_FLAGS


def _kept(page: str) -> dict[str, str] | None:
    found = re.search(r'<script type="application/json" id="kept-form">(.*?)</script>', page)
    return json.loads(found[1]) if found else None


def test_a_refused_edit_comes_back_filled_in_once(
    app_client: TestClient, demo_engine: Engine
) -> None:
    customer = owned_customer(demo_engine)
    csrf = sign_in(app_client, "sales")
    page = f"http://testserver/customers/{customer}"
    typed = {"owner": "", "tags": "renewal, 重点客户", "timezone": "Mars/Base", "csrf": csrf}
    refused = app_client.post(f"/customers/{customer}/edit", data=typed, headers={"referer": page})
    assert refused.status_code == 422 and "timezone" in refused.text  # still an error
    assert f'<meta http-equiv="refresh" content="0;url=/customers/{customer}">' in refused.text
    assert COOKIE in refused.headers["set-cookie"]
    back = app_client.get(f"/customers/{customer}").text
    values = _kept(back)
    assert values == {"owner": "", "tags": "renewal, 重点客户", "timezone": "Mars/Base"}
    assert 'id="kept-error"' in back and 'data-field="timezone"' in back
    assert f'data-action="/customers/{customer}/edit"' in back
    assert csrf not in json.dumps(values)  # the token is never put in a cookie
    assert _kept(app_client.get(f"/customers/{customer}").text) is None  # shown once


def test_only_a_plain_form_from_this_site_goes_back(
    app_client: TestClient, demo_engine: Engine
) -> None:
    customer = owned_customer(demo_engine)
    csrf = sign_in(app_client, "sales")
    typed = {"owner": "", "tags": "", "timezone": "Mars/Base", "csrf": csrf}
    for headers in (
        {},  # no referer: the error page, with its "go back"
        {"referer": "https://elsewhere.example/customers/1"},
        {"referer": f"http://testserver/customers/{customer}", "hx-request": "true"},
    ):
        refused = app_client.post(f"/customers/{customer}/edit", data=typed, headers=headers)
        assert refused.status_code == 422, headers
        assert "set-cookie" not in refused.headers and "http-equiv" not in refused.text
    # a page other than the form's does not take it
    app_client.post(
        f"/customers/{customer}/edit",
        data=typed,
        headers={"referer": f"http://testserver/customers/{customer}"},
    )
    assert _kept(app_client.get("/customers").text) is None


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_in_a_browser_the_typed_text_is_back_in_its_fields(demo_engine: Engine, lang: str) -> None:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    customer = owned_customer(demo_engine)
    quiet = Settings(worker=WorkerSettings(in_server=False))
    with served(create_app(demo_engine, quiet)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{url}/login?lang={lang}")
        page.fill('input[name="email"]', "sales@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        page.goto(f"{url}/customers/{customer}?lang={lang}")
        page.fill('#edit-customer input[name="tags"]', "typed by hand")
        page.fill('#edit-customer input[name="timezone"]', "Mars/Base")
        page.click('#edit-customer button[type="submit"]')
        page.wait_for_selector("#edit-customer #kept-error")
        assert page.url.startswith(f"{url}/customers/{customer}")
        assert page.input_value('#edit-customer input[name="tags"]') == "typed by hand"
        assert page.input_value('#edit-customer input[name="timezone"]') == "Mars/Base"
        assert "timezone" in page.inner_text("#kept-error")
        assert ("未保存" if lang == "zh" else "Not saved") in page.inner_text("#kept-error")
        focused = page.evaluate("document.activeElement.name")
        assert focused == "timezone"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"kept-form-phone-{lang}.png"))
        browser.close()
