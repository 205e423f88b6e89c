"""A survey end to end: a playbook emails the personal link through a real SMTP server, the
customer follows it in Chromium and answers, the answer reaches the feed, and a playbook that
starts from survey_answered enrolls them and opens a task. A wait + send_survey reminds the
one who did not answer, with the same link, and not the one who did."""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine, select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service as playbooks
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.customers import changes
from tenure.domains.events.models import Event
from tenure.domains.surveys import service as surveys
from tenure.domains.surveys.models import SurveyAnswer, SurveyInvitation
from tenure.domains.tasks.models import Task
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import MessagingSettings, Settings, WorkerSettings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction
from tenure.web.app import create_app
from tenure.worker.playbooks import tick
from tests.conftest import served
from tests.domains.automation.test_presets import Mailbox
from tests.web.test_browser import CHROMIUM_FLAGS

pytestmark = pytest.mark.browser
PERSON = Actor(None, "cli")
ASK = """\
name: ask-nps
title: {en: Ask for NPS, zh: 询问净推荐值}
kind: service
trigger: {manual: true}
enrollment: {holdout: 0}
steps:
  - id: ask
    send_survey: {survey: nps}
  - wait: {days: 3}
  - id: remind
    send_survey: {survey: nps}
"""
FOLLOW_UP = """\
name: detractor-call
title: {en: Call a detractor, zh: 回访贬损者}
trigger: {survey_answered: {survey: nps, max: 6}}
enrollment: {holdout: 0}
steps:
  - create_task:
      title: {en: Call back a detractor, zh: 回访贬损者}
      due_in_days: 1
"""


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def _link(text: str) -> str:
    found = re.search(r"(http://127\.0\.0\.1:\d+/survey/\S+)", text)
    assert found is not None, text
    return found.group(1)


def test_a_survey_from_email_to_answer_to_follow_up(
    committed_store: Engine, smtp: tuple[Mailbox, int]
) -> None:
    store = committed_store
    mailbox, port = smtp
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    quiet = Settings(worker=WorkerSettings(in_server=False))
    with served(create_app(store, quiet)) as url, sync_playwright() as p:
        settings = Settings(
            messaging=MessagingSettings(
                transport="smtp",
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_security="none",
                from_address="Acme <hello@acme.test>",
                smtp_timeout=10,
                unsubscribe_base_url=url,
            )
        )
        now = utcnow()
        with write_transaction(store) as conn:
            surveys.apply(
                conn,
                surveys.parse(
                    {
                        "key": "nps",
                        "kind": "nps",
                        "title": {"en": "How are we doing?", "zh": "我们做得怎么样？"},
                    }
                ),
                now,
            )
            zh = changes.create_customer(
                conn,
                PERSON,
                {
                    "external_id": "li",
                    "name": "李 雷",
                    "email": "li@customers.test",
                    "attributes": {"preferred_language": "zh"},
                },
            )
            en = changes.create_customer(
                conn,
                PERSON,
                {"external_id": "ann", "name": "Ann Lee", "email": "ann@customers.test"},
            )
            playbooks.apply(
                conn, PERSON, [parse(ASK, "ask-nps.yaml"), parse(FOLLOW_UP, "detractor-call.yaml")]
            )
            for external in ("li", "ann"):
                playbooks.enroll(conn, PERSON, "ask-nps", external, now)

        first = tick(store, settings, FrozenClock(now))
        assert first.emails == {"sent": 2}
        [(subject, text)] = mailbox.to("li@customers.test")
        assert subject.startswith("我们做得怎么样？") and "只需一分钟" in text
        link = _link(text)
        [(en_subject, en_text)] = mailbox.to("ann@customers.test")
        assert en_subject.startswith("How are we doing?")

        # Li follows the link in the email, in Chromium, and answers 2 with a comment
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(link)
        assert page.locator("#survey-title").inner_text() == "我们做得怎么样？"
        page.get_by_label("2", exact=True).check()
        page.get_by_label("您给出这个分数的主要原因是什么？").fill("客服没有回复")
        page.click("#survey-send")
        page.wait_for_selector("#survey-thanks")
        browser.close()

        with store.connect() as conn:
            answer = conn.execute(
                select(
                    SurveyAnswer.score,
                    SurveyAnswer.band,
                    SurveyAnswer.comment,
                    SurveyAnswer.customer_id,
                )
            ).one()
            event = conn.execute(
                select(Event.properties, Event.source).where(Event.type == "survey_answered")
            ).one()
        assert tuple(answer) == (2, "detractor", "客服没有回复", zh)
        assert event.source == "customer"
        assert (event.properties["survey"], event.properties["band"]) == ("nps", "detractor")

        # the next tick: the detractor playbook enrolls Li and opens a task
        tick(store, settings, FrozenClock(now + timedelta(minutes=1)))
        with store.connect() as conn:
            task = conn.execute(select(Task.customer_id, Task.title, Task.source)).one()
            enrolled = (
                conn.execute(
                    select(Enrollment.customer_id).where(Enrollment.trigger == "survey_answered")
                )
                .scalars()
                .all()
            )
        assert tuple(task) == (zh, "Call back a detractor", "playbook:detractor-call")
        assert enrolled == [zh]

        # three days on: Ann is reminded with the same link; Li, who answered, is not
        later = tick(store, settings, FrozenClock(now + timedelta(days=3, minutes=5)))
        assert later.emails == {"sent": 1}
        reminders = mailbox.to("ann@customers.test")
        assert len(reminders) == 2 and _link(reminders[1][1]) == _link(en_text)
        assert len(mailbox.to("li@customers.test")) == 1
        with store.connect() as conn:
            invitations = conn.execute(select(SurveyInvitation.customer_id)).scalars().all()
            remind = dict(
                conn.execute(
                    select(Enrollment.customer_id, StepRun.detail)
                    .join(Enrollment, Enrollment.id == StepRun.enrollment_id)
                    .where(StepRun.step_id == "remind")
                ).all()
            )
        assert sorted(invitations) == sorted([zh, en])  # a reminder makes no new invitation
        assert (remind[zh]["status"], remind[zh]["reason"]) == ("skipped", "answered")
        assert (remind[en]["status"], remind[en]["reason"]) == ("invited", "reminder")
