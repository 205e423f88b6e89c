"""A person in a real browser (Debian's chromium via Playwright): read, switch language."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine

from tenure.kit.settings import Settings
from tenure.web.app import create_app
from tests.conftest import ROOT
from tests.web.test_overview import demo_engine  # noqa: F401  (shared fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_engine: Engine) -> Iterator[str]:  # noqa: F811
    port = _free_port()
    config = uvicorn.Config(
        create_app(demo_engine, Settings()), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (scripts/ensure-chromium.sh)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def test_read_the_overview_and_switch_language(server: str, browser: Browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="en-US", viewport={"width": 1200, "height": 900})
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "What the store holds"
    assert page.locator('[data-table="customers"]').inner_text() == "500"
    assert page.locator("svg.chart rect").count() > 12
    page.screenshot(path=str(ARTIFACTS / "overview-en.png"), full_page=True)
    page.click("#lang-switch")
    page.wait_for_url("**/?lang=zh")
    assert page.locator("h1").inner_text() == "数据概览"
    assert page.locator("#channels th").first.inner_text() == "渠道"
    assert page.locator('#stages [data-stage="churned"] td').first.inner_text() == "流失客户"
    page.screenshot(path=str(ARTIFACTS / "overview-zh.png"), full_page=True)
    assert Path(ARTIFACTS / "overview-zh.png").stat().st_size > 10_000
