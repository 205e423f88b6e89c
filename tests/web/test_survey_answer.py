"""The public survey page: no sign-in, the customer's language, answers checked and limited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event
from tenure.domains.surveys import service
from tenure.domains.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction
from tenure.web.app import create_app
from tenure.web.pages import survey_answer
from tests.domains.surveys.helpers import FORM
from tests.factories import make_customer

SETTINGS = Settings()


@pytest.fixture
def invited(engine: Engine) -> Iterator[tuple[Engine, int, str]]:
    """A committed zh customer invited to a committed NPS survey: (engine, id, path)."""
    with Session(engine) as session:
        made = make_customer(session)
        made.attributes = {"preferred_language": "zh-CN"}
        session.commit()
        customer_id = made.id
    with write_transaction(engine) as conn:
        for data in (
            FORM,
            {
                "key": "nps",
                "kind": "nps",
                "title": {"en": "How are we doing?", "zh": "我们做得怎么样？"},
            },
        ):
            service.apply(conn, service.parse(data), utcnow())
        link = service.invite(
            conn,
            survey_key="nps",
            customer_id=customer_id,
            key=f"t:{customer_id}",
            now=utcnow(),
            settings=SETTINGS,
        ).url
    assert link is not None
    survey_answer.PER_LINK._seen.clear()
    survey_answer.PER_ADDRESS._seen.clear()
    yield engine, customer_id, link.removeprefix(SETTINGS.messaging.unsubscribe_base_url)
    with engine.begin() as conn:
        conn.execute(delete(SurveyResponse).where(SurveyResponse.customer_id == customer_id))
        conn.execute(delete(Event).where(Event.customer_id == customer_id))
        conn.execute(delete(SurveyAnswer).where(SurveyAnswer.customer_id == customer_id))
        conn.execute(delete(SurveyInvitation).where(SurveyInvitation.customer_id == customer_id))
        conn.execute(delete(Survey))
        conn.execute(delete(Customer).where(Customer.id == customer_id))


def _answers(engine: Engine, customer_id: int) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                SurveyAnswer.score, SurveyAnswer.band, SurveyAnswer.comment, SurveyAnswer.language
            ).where(SurveyAnswer.customer_id == customer_id)
        )
        return [tuple(r) for r in rows]


def test_the_page_speaks_the_customers_language_and_switches(
    invited: tuple[Engine, int, str],
) -> None:
    engine, _, path = invited
    client = TestClient(create_app(engine, SETTINGS))
    page = client.get(path)  # no sign-in; the customer's own language
    assert page.status_code == 200
    assert "我们做得怎么样？" in page.text and "您向朋友或同事推荐我们的可能性有多大？" in page.text
    assert 'lang="zh-CN"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    english = client.get(path + "?lang=en&embed=1")
    assert "How likely are you to recommend us to a friend or colleague?" in english.text
    assert 'class="embed"' in english.text
    assert english.text.count('type="radio" name="q-score"') == 11


def test_answer_then_see_it_then_change_it(invited: tuple[Engine, int, str]) -> None:
    engine, customer_id, path = invited
    client = TestClient(create_app(engine, SETTINGS))
    comment = "<script>alert(1)</script> 送货太慢"
    sent = client.post(
        path + "?lang=zh", data={"q-score": "4", "q-comment": comment}, follow_redirects=False
    )
    assert sent.status_code == 303
    shown = client.get(sent.headers["location"])
    assert "感谢您的回答。" in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 送货太慢" in shown.text
    assert "<script>alert(1)" not in shown.text
    assert _answers(engine, customer_id) == [(4, "detractor", comment, "zh")]
    with engine.connect() as conn:
        props = conn.execute(
            select(Event.properties).where(Event.customer_id == customer_id)
        ).scalar_one()
    assert (props["survey"], props["score"], props["band"]) == ("nps", 4, "detractor")
    # a second visit shows the answer and lets it be changed
    again = client.get(path + "?lang=en")
    assert "Your answer" in again.text and 'id="survey-edit"' in again.text
    edit = client.get(path + "?lang=en&edit=1")
    assert 'value="4" checked' in edit.text
    client.post(path + "?lang=en", data={"q-score": "9", "q-comment": "better now"})
    assert _answers(engine, customer_id) == [(9, "promoter", "better now", "en")]


def test_wrong_answers_are_named_beside_their_question(invited: tuple[Engine, int, str]) -> None:
    engine, customer_id, path = invited
    client = TestClient(create_app(engine, SETTINGS))
    missing = client.post(path + "?lang=en", data={"q-comment": "no score"})
    assert missing.status_code == 422
    assert "Please answer this question." in missing.text
    assert 'aria-invalid="true"' in missing.text
    assert "no score" in missing.text  # what was typed is kept
    wrong = client.post(path + "?lang=zh", data={"q-score": "11"})
    assert wrong.status_code == 422 and "请选择 0 到 10 之间的数字。" in wrong.text
    assert _answers(engine, customer_id) == []


def test_forged_expired_and_hammered_links(invited: tuple[Engine, int, str]) -> None:
    engine, customer_id, path = invited
    client = TestClient(create_app(engine, SETTINGS))
    token = path.rsplit("/", 1)[1]
    forged = f"/survey/{int(token.split('.')[0]) + 1}.{token.split('.')[1]}"
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"q-score": "0"}).status_code == 404
    for _ in range(9):  # the link allows 10 posts per 10 minutes
        client.post(path, data={"q-score": "x"})
    assert client.post(path, data={"q-score": "x"}).status_code == 422
    limited = client.post(path, data={"q-score": "5"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    with engine.begin() as conn:
        conn.execute(
            SurveyInvitation.__table__.update()
            .where(SurveyInvitation.customer_id == customer_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert "This survey link has expired" in client.get(path + "?lang=en").text
    assert _answers(engine, customer_id) == []
