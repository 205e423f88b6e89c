"""A customer answers surveys in Chromium on a phone, by keyboard alone, in both languages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tenure.domains.registry import metadata
from tenure.domains.surveys import service
from tenure.domains.surveys.models import SurveyAnswer
from tenure.kit.settings import MessagingSettings, Settings, WorkerSettings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction
from tenure.web.app import create_app
from tests.conftest import scratch_store, served
from tests.domains.surveys.helpers import FORM
from tests.factories import make_customer
from tests.web.test_browser import ARTIFACTS, CHROMIUM_FLAGS
from tests.web.test_phone_width import PHONE, WIDEST

pytestmark = pytest.mark.browser
NPS = {"key": "nps", "kind": "nps", "title": {"en": "How are we doing?", "zh": "我们做得怎么样？"}}


@pytest.fixture(scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, str, Browser]]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    assert metadata().tables
    with scratch_store("sqlite", request, tmp_path_factory.mktemp("survey")) as engine:
        with write_transaction(engine) as conn:
            for data in (NPS, FORM):
                service.apply(conn, service.parse(data), utcnow())
        settings = Settings(worker=WorkerSettings(in_server=False))
        with served(create_app(engine, settings)) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            yield engine, url, browser
            browser.close()


def _link(engine: Engine, url: str, survey: str, lang: str) -> str:
    with Session(engine) as session:
        made = make_customer(session)
        made.attributes = {"preferred_language": lang}
        session.commit()
        customer_id = made.id
    settings = Settings(messaging=MessagingSettings(unsubscribe_base_url=url))
    with write_transaction(engine) as conn:
        invited = service.invite(
            conn,
            survey_key=survey,
            customer_id=customer_id,
            key=f"browser:{customer_id}",
            now=utcnow(),
            settings=settings,
        )
    assert invited.url is not None
    return invited.url


def _stored(engine: Engine, link: str) -> tuple[object, ...]:
    invitation_id = int(link.rsplit("/", 1)[1].split(".")[0])
    with engine.connect() as conn:
        row = conn.execute(
            select(SurveyAnswer.answers, SurveyAnswer.band, SurveyAnswer.language).where(
                SurveyAnswer.invitation_id == invitation_id
            )
        ).one()
    return tuple(row)


def _fits(page: Page) -> None:
    width = page.evaluate(WIDEST, 1)
    assert width["scroll"] <= width["screen"], width["past"]


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nps_by_keyboard_on_a_phone(site: tuple[Engine, str, Browser], lang: str) -> None:
    engine, url, browser = site
    link = _link(engine, url, "nps", lang)
    page = browser.new_page(viewport=PHONE)
    page.goto(link)
    title = "我们做得怎么样？" if lang == "zh" else "How are we doing?"
    assert page.locator("#survey-title").inner_text() == title
    _fits(page)
    _shot(page, f"survey-nps-{lang}-phone")
    # keyboard only: past the language switch into the score, arrows pick 0 → 3
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "survey-lang"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "q-score"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.value") == "3"
    page.keyboard.press("Tab")
    page.keyboard.type("配送太慢" if lang == "zh" else "Delivery was slow")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "survey-send"
    page.keyboard.press("Enter")
    page.wait_for_selector("#survey-thanks")
    thanks = page.locator("#survey-thanks").inner_text()
    assert thanks == ("感谢您的回答。" if lang == "zh" else "Thank you for your answer.")
    _fits(page)
    _shot(page, f"survey-nps-{lang}-answered")
    answers, band, language = _stored(engine, link)
    assert band == "detractor" and language == lang
    assert answers == {"score": 3, "comment": "配送太慢" if lang == "zh" else "Delivery was slow"}
    page.close()


def test_a_form_shows_questions_as_answers_call_for_them_and_switches_language(
    site: tuple[Engine, str, Browser],
) -> None:
    engine, url, browser = site
    link = _link(engine, url, "suggestions", "en")
    page = browser.new_page(viewport=PHONE)
    page.goto(link)
    invoice = page.locator("#q-invoice")
    assert invoice.is_hidden()  # shown only for billing
    page.click("#survey-send")  # nothing chosen: the problems are named
    page.wait_for_selector("#survey-problem")
    assert "Please answer this question." in page.locator("#q-topic").inner_text()
    _shot(page, "survey-form-en-mistake")
    page.click("#survey-lang")  # 中文, the form as it was
    assert page.locator("#survey-title").inner_text() == "意见与建议"
    page.get_by_label("账单").check()
    assert invoice.is_visible()
    page.get_by_label("发票号码").fill("INV-42")
    page.get_by_label("网站").check()
    _fits(page)
    _shot(page, "survey-form-zh-phone")
    page.click("#survey-send")
    page.wait_for_selector("#survey-answers")
    assert "INV-42" in page.locator("#survey-answers").inner_text()
    assert "网站" in page.locator("#survey-answers").inner_text()
    answers, band, language = _stored(engine, link)
    assert answers == {"topic": "billing", "invoice": "INV-42", "areas": ["web"]}
    assert (band, language) == (None, "zh")
    page.close()
