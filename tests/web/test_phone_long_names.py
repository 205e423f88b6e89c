"""A person's long name must not push a phone's page sideways: a select is as wide as its
longest option, and the task cards' assign forms and the Tasks page's filter hold one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy.orm import Session

from tenure.domains.audit.service import Actor
from tenure.domains.tasks import service as tasks
from tenure.domains.users import service as users
from tenure.kit.settings import Settings, WorkerSettings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tests.conftest import served
from tests.factories import make_customer
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM_FLAGS
from tests.web.test_phone_width import PHONE, SLACK, WIDEST

pytestmark = pytest.mark.browser
LONG = "Alexandria Montgomery-Fitzgerald, Support team lead for the northern region"


def test_a_long_name_in_a_select_does_not_widen_the_page(tmp_path: Path) -> None:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        users.create_user(conn, "Admin", "admin@web.test", "admin")
        users.set_password(conn, "admin@web.test", PASSWORD)
        lead = users.create_user(conn, LONG, "lead@web.test", "csm")[0]
        with Session(bind=conn) as session:
            customer = make_customer(session).id
            session.flush()
        tasks.create_task(
            conn, Actor(None, "test"), customer_id=customer, title="Call", assignee_id=lead
        )
    quiet = Settings(worker=WorkerSettings(in_server=False))
    wide = {}
    with served(create_app(engine, quiet)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(url + "/login")
        page.fill('input[name="email"]', "admin@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        for path in (f"/customers/{customer}", f"/tasks?assignee={lead}", "/tasks"):
            page.goto(url + path)
            page.wait_for_load_state("load")
            assert LONG in page.content(), path
            found = page.evaluate(WIDEST, SLACK)
            if found["scroll"] > found["screen"] + SLACK or found["past"]:
                wide[path] = found
        browser.close()
    engine.dispose()
    assert not wide, wide
