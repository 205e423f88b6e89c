"""People in a real browser (Debian's chromium via Playwright): the journeys of the web app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, select, update

from tenure.domains.audit.service import Actor
from tenure.domains.registry import metadata
from tenure.domains.tasks import service as tasks
from tenure.kit.settings import Settings, WorkerSettings
from tenure.storage.engine import write_transaction
from tenure.web.app import create_app
from tests import outbox
from tests.conftest import ROOT, served
from tests.web.conftest import PASSWORD, owned_customer

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


@pytest.fixture(scope="module")
def server(demo_engine: Engine) -> Iterator[str]:
    # no in-server worker: these tests need none, and it would go on ticking on the shared
    # store after them
    quiet = Settings(worker=WorkerSettings(in_server=False))
    with served(create_app(demo_engine, quiet)) as url:
        yield url


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


def _shot(page: Page, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, name


def test_a_day_of_customer_success(server: str, browser: Browser, demo_engine: Engine) -> None:
    """Sign in, read the overview, open a customer 360, add and complete a task, switch
    language; a screenshot of every page in both languages is kept in artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="en-US", viewport={"width": 1280, "height": 900})
    page.goto(server + "/")
    page.wait_for_url("**/login?next=/")
    _shot(page, "login-en")
    page.fill('input[name="email"]', "csm@web.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login button[type="submit"]')
    page.wait_for_url(server + "/")
    assert page.locator("h1").inner_text().startswith("Overview")
    assert page.locator('[data-table="customers"]').inner_text() == "500"
    assert page.locator("#kpis .tile").count() == 6
    # every chart drawn by ECharts, served from the app's own static files
    # a csm may not read spend: no CAC and ROI chart (issue 13)
    assert page.locator(".echart").count() == 6 and page.locator("#chart-channels").count() == 0
    page.wait_for_function("document.querySelectorAll('.echart[data-drawn=yes]').length == 6")
    assert page.locator("#chart-flow canvas").count() == 1
    _shot(page, "overview-en")

    page.click('#menu a[href="/customers"]')
    page.select_option('select[name="sort"]', "-clv")
    page.click('#filters button[type="submit"]')
    page.wait_for_url("**/customers?*sort=-clv*")
    _shot(page, "customers-en")
    page.locator("#customer-list tbody tr a").first.click()
    page.wait_for_url("**/customers/*")
    # the csm's own customer: their role edits only their own and their team's ([access])
    owned_customer_id = int(page.url.rsplit("/", 1)[1])
    users_table, customers_table = metadata().tables["users"], metadata().tables["customers"]
    with write_transaction(demo_engine) as conn:
        csm_id = conn.execute(
            select(users_table.c.id).where(users_table.c.email == "csm@web.test")
        ).scalar_one()
        conn.execute(
            update(customers_table)
            .where(customers_table.c.id == owned_customer_id)
            .values(owner_id=csm_id)
        )
    assert page.locator("#scores [data-score=clv]").inner_text().startswith("$")
    assert page.locator("#stage-history li").count() >= 1

    page.fill('#new-task input[name="title"]', "Check in before the renewal")
    page.fill('#new-task input[name="due_on"]', "2026-01-15")
    page.select_option('#new-task select[name="assignee"]', label="Csm Tester")
    page.click('#new-task button[type="submit"]')
    task = page.locator(".task", has_text="Check in before the renewal")
    assert task.count() == 1
    # the customer's own time zone: quiet hours and timed waits follow their clock
    page.fill('#edit-customer input[name="timezone"]', "asia/shanghai")
    page.click('#edit-customer button[type="submit"]')
    assert page.locator("#customer-timezone").inner_text() == "time zone Asia/Shanghai"
    zoned = page.url
    _shot(page, "customer-360-en")

    page.click('#menu a[href="/tasks"]')
    overdue = page.locator(".task.overdue", has_text="Check in before the renewal")
    _shot(page, "tasks-en")
    card = overdue.get_attribute("id")
    # htmx: the card turns into the done task in place, without leaving the page
    overdue.locator('input[name="outcome"]').fill("Renewing for another year")
    overdue.locator("form.complete button").click()
    page.wait_for_selector(f"#{card}.done")
    assert page.locator(f"#{card} .outcome").inner_text() == "✓ Renewing for another year"
    page.reload()
    assert page.locator("#done", has_text="Renewing for another year").count() == 1

    page.click("#lang-switch")
    page.wait_for_url("**/tasks")
    assert page.locator("h1").inner_text() == "任务"
    _shot(page, "tasks-zh")
    for path, name, title in (
        ("/", "overview-zh", "总览"),
        ("/customers", "customers-zh", "客户"),
    ):
        page.goto(server + path)
        assert page.locator("h1").inner_text().startswith(title)
        page.wait_for_function(
            "[...document.querySelectorAll('.echart')].every(e => e.dataset.drawn == 'yes')"
        )
        _shot(page, name)
    page.locator("#customer-list tbody tr a").first.click()
    assert page.locator("#scores .label").first.inner_text() == "预测客户终身价值"
    _shot(page, "customer-360-zh")
    page.goto(zoned)
    assert page.locator("#customer-timezone").inner_text() == "时区 Asia/Shanghai"
    page.click("#lang-switch")  # back to English for the next person on this account
    page.click("#sign-out")
    page.wait_for_url("**/login")


def test_an_admin_visits_every_page_in_both_languages(server: str, browser: Browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.goto(server + "/login?next=/audit")
    assert page.locator("h1").inner_text() == "登录 Tenure"
    _shot(page, "login-zh")
    page.fill('input[name="email"]', "admin@web.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login button[type="submit"]')
    page.wait_for_url("**/audit")
    assert page.locator("h1").inner_text() == "审计日志"
    menu = [a.get_attribute("href") for a in page.locator("#menu a").all()]
    assert menu == [
        "/",
        "/customers",
        "/tasks",
        "/calls",
        "/playbooks",
        "/messages",
        "/surveys",
        "/feedback",
        "/stages",
        "/value",
        "/segments",
        "/loyalty",
        "/cross-sell",
        "/channels",
        "/runs",
        "/settings",
        "/users",
        "/audit",
    ]
    for lang in ("zh", "en"):
        for href in menu:
            page.goto(f"{server}{href}?lang={lang}")
            page.wait_for_function(
                "[...document.querySelectorAll('.echart')].every(e => e.dataset.drawn == 'yes')"
            )
            assert page.locator("h1").count() == 1, href
            name = (href or "/").strip("/") or "overview"
            _shot(page, f"{name}-{lang}")


def test_a_playbook_reads_well_on_a_phone(
    server: str, browser: Browser, journeys_store: dict[str, Any]
) -> None:
    """At 390 px the flow's boxes, their counts and the source fit the screen's width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="en-US", viewport={"width": 390, "height": 844})
    page.goto(server + "/login?next=/playbooks")
    page.fill('input[name="email"]', "marketing@web.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login button[type="submit"]')
    page.wait_for_url("**/playbooks")
    assert page.locator("#playbooks tbody tr").count() >= 2
    _shot(page, "playbooks-phone-en")
    page.click(f'#playbooks a[href="/playbooks/{journeys_store["name"]}"]')
    page.wait_for_url(f"**/playbooks/{journeys_store['name']}")
    steps = page.locator("#flow li.step[data-step]")
    assert steps.count() == 4
    for n in range(4):
        assert steps.nth(n).is_visible()
    assert page.locator('#step-step-2 [data-waiting="3"]').is_visible()
    assert page.locator("#source-text").is_visible()
    assert "add_tags" in page.locator("#source-text").inner_text()
    wide = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate(
        "[...document.querySelectorAll('main *')]"
        ".filter(e => e.getBoundingClientRect().right > 391).slice(0, 5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert wide <= 390, f"the page is {wide} px wide on a 390 px screen: {culprits}"
    page.click("#edit-source summary")
    assert page.locator('#source-form textarea[name="source"]').is_visible()
    _shot(page, "playbook-phone-en")
    page.goto(f"{server}/playbooks/{journeys_store['name']}?lang=zh")
    assert page.locator("#flow").inner_text().count("已执行") == 4
    _shot(page, "playbook-phone-zh")


def _sign_in(page: Page, server: str, role: str, next_path: str) -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill('input[name="email"]', f"{role}@web.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('#login button[type="submit"]')
    page.wait_for_url(f"**{next_path}")


def _fits(page: Page, width: int) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate(
        f"[...document.querySelectorAll('main *')]"
        f".filter(e => e.getBoundingClientRect().right > {width + 1}).slice(0, 5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert wide <= width, f"the page is {wide} px wide on a {width} px screen: {culprits}"


def test_the_outbox_and_a_message_in_both_languages_and_on_a_phone(
    server: str, browser: Browser, demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The outbox's chips filter it; an unknown message says to review it; a template's
    script does not run in the message page; all of it fits a 390 px phone."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    filled = outbox.fill(demo_engine, "browser-mail", tmp_path_factory.mktemp("t"), skip=100)
    page = browser.new_page(locale="en-US", viewport={"width": 1280, "height": 900})
    _sign_in(page, server, "marketing", "/messages?playbook=browser-mail")
    assert page.locator("#messages tbody tr").count() == 6
    assert page.locator("#messages tr.unknown").count() == 1
    assert page.locator("#unknown-note").is_visible()
    _shot(page, "messages-en")
    page.click('#status-chips a[data-status="unknown"]')
    page.wait_for_url("**status=unknown*")
    assert page.locator("#messages tbody tr").count() == 1
    page.locator("#messages tbody tr a").first.click()
    page.wait_for_url(f"**/messages/{filled.by_status['unknown'][0]}")
    assert page.locator("#unknown-warning").is_visible()
    _shot(page, "message-unknown-en")

    scripted = filled.by_status["sent"][1]
    page.goto(f"{server}/messages/{scripted}")
    frame = page.frame_locator("#message-html")
    assert frame.locator("#hello").inner_text().startswith("Hello")
    # sandbox="": the template's script ran neither in the frame nor on the page
    assert "scripted" not in page.title()
    assert page.frame(url="about:srcdoc") is None or (
        page.frame(url="about:srcdoc").evaluate("document.title") != "ran"  # type: ignore[union-attr]
    )
    _shot(page, "message-en")
    page.click("#lang-switch")
    page.wait_for_url(f"**/messages/{scripted}")
    assert page.locator("h2").first.inner_text() == "当前状态"
    _shot(page, "message-zh")
    page.goto(f"{server}/messages?playbook=browser-mail")
    assert page.locator("h1").inner_text() == "邮件"
    _shot(page, "messages-zh")

    phone = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    _sign_in(phone, server, "viewer", "/messages?playbook=browser-mail")
    _fits(phone, 390)
    _shot(phone, "messages-phone-zh")
    for lang in ("zh", "en"):
        phone.goto(f"{server}/messages/{filled.by_status['unknown'][0]}?lang={lang}")
        assert phone.locator("#unknown-warning").is_visible()
        phone.frame_locator("#message-html").locator("p").first.wait_for()
        phone.locator("#message-html").scroll_into_view_if_needed()  # painted for the shot
        _fits(phone, 390)
        _shot(phone, f"message-phone-{lang}")
    phone.goto(f"{server}/messages?playbook=browser-mail&lang=en")
    _fits(phone, 390)
    _shot(phone, "messages-phone-en")


def test_a_win_back_task_is_ticked_off_and_completed_with_its_root_cause(
    server: str, browser: Browser, demo_engine: Engine
) -> None:
    """The checklist's boxes tick in place (htmx); completing asks for the root cause."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    customer = owned_customer(demo_engine, "csm@web.test")
    with write_transaction(demo_engine) as conn:
        task = tasks.create_task(
            conn,
            Actor(None, "cli"),
            customer_id=customer,
            title="Win back this customer",
            notes="They have not ordered for 90 days.",
            checklist=["Read their last tickets", "Call them", "Offer the win-back discount"],
            requires_root_cause=True,
            source="playbook:win-back",
        )
    card = f"#task-{task['id']}"
    page = browser.new_page(locale="en-US", viewport={"width": 1280, "height": 900})
    _sign_in(page, server, "csm", "/tasks")
    page.locator(f'{card} li[data-item="0"] input[type="checkbox"]').check()
    page.wait_for_selector(f'{card} li[data-item="0"] input[type="checkbox"]:checked')
    page.reload()
    assert page.locator(f'{card} li[data-item="0"] input[type="checkbox"]').is_checked()
    assert not page.locator(f'{card} li[data-item="1"] input[type="checkbox"]').is_checked()
    _shot(page, "tasks-checklist-en")
    page.goto(f"{server}/tasks?lang=zh")
    assert page.locator(f'{card} select[name="root_cause"] option').all_inner_texts() == [
        "根本原因…",
        "产品",
        "服务",
        "价格",
        "其他",
    ]
    _shot(page, "tasks-checklist-zh")
    page.goto(f"{server}/customers/{customer}?lang=en")
    _shot(page, "customer-360-checklist-en")
    page.goto(f"{server}/customers/{customer}?lang=zh")
    _shot(page, "customer-360-checklist-zh")

    phone = browser.new_page(locale="en-US", viewport={"width": 390, "height": 844})
    _sign_in(phone, server, "csm", "/tasks")
    _fits(phone, 390)
    _shot(phone, "tasks-checklist-phone-en")
    phone.goto(f"{server}/customers/{customer}?lang=zh")
    _fits(phone, 390)
    _shot(phone, "customer-360-checklist-phone-zh")
    phone.goto(f"{server}/tasks?lang=zh")
    _shot(phone, "tasks-checklist-phone-zh")

    page.goto(f"{server}/tasks?lang=en")
    page.fill(f'{card} input[name="outcome"]', "They found it too dear")
    page.click(f"{card} form.complete button")  # the root cause is required: nothing is sent
    assert page.locator(f"{card}.done").count() == 0
    page.select_option(f'{card} select[name="root_cause"]', "price")
    done_before = int(page.locator('#task-counts [data-count="done"]').inner_text())
    page.click(f"{card} form.complete button")
    page.wait_for_selector(f"{card}.done")
    assert "Root cause: Price" in page.locator(f"{card} .outcome").inner_text()
    # the counters above follow the card, without a reload
    counter = "#task-counts [data-count='done']"
    page.wait_for_function(
        f'document.querySelector("{counter}").textContent == "{done_before + 1}"'
    )
    _shot(page, "tasks-completed-root-cause-en")
