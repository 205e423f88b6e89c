"""The Surveys and Feedback pages and the 360's invitations: every figure against a SQL count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tenure.domains.audit.service import Actor
from tenure.domains.surveys import answering, followups, routing, service, teams
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tenure.web.i18n import Formatter
from tests.domains.surveys.helpers import NOW, SETTINGS, customer, survey
from tests.web.conftest import PASSWORD, chart_option, sign_in, table_rows

RULES = "survey: nps\nrules:\n  - name: low\n    when: {band: [detractor]}\n    team: support\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Four customers asked the NPS, three answered (two detractors), one follow-up closed."""
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('fb')) / 't.db'}")
    upgrade(engine)
    with engine.begin() as conn, Session(bind=conn) as session:
        admin, _ = users.create_user(conn, "Ada Admin", "admin@web.test", "admin")
        users.set_password(conn, "admin@web.test", PASSWORD)
        survey(conn)
        teams.put(conn, Actor(None, "cli"), "support", {"name_zh": "客服", "lead_id": admin}, NOW)
        routing.apply(conn, RULES, "nps.routing.yaml", NOW)
        for n, score in enumerate(("2", "10", "5", None)):
            cid = customer(session)
            made = service.invite(
                conn, survey_key="nps", customer_id=cid, key=f"k{n}", now=NOW, settings=SETTINGS
            )
            if score is not None:
                raw = {"score": score, "comment": "slow" if n == 0 else None}
                answering.answer_invitation(conn, made.invitation_id, raw, "en", NOW)
        first_task = conn.execute(text("SELECT min(task_id) FROM survey_followups")).scalar_one()
        followups.close(
            conn,
            Actor(None, "cli"),
            int(first_task),
            outcome="contacted",
            root_cause="price",
            now=NOW + timedelta(hours=2),
            settings=SETTINGS,
        )
    yield engine
    engine.dispose()


@pytest.fixture
def client(store: Engine) -> TestClient:
    made = TestClient(create_app(store, Settings()))
    sign_in(made, "admin")
    return made


def _one(store: Engine, sql: str) -> int:
    with store.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_surveys_page_figures(client: TestClient, store: Engine, lang: str) -> None:
    fmt = Formatter(lang, "USD")
    invited = _one(store, "SELECT count(*) FROM survey_invitations WHERE status = 'invited'")
    answered = _one(store, "SELECT count(*) FROM survey_invitations WHERE answered_at IS NOT NULL")
    poor = _one(store, "SELECT count(*) FROM survey_answers WHERE band = 'detractor'")
    in_sla = _one(store, "SELECT count(*) FROM survey_followups WHERE contacted_at <= due_at")
    [row] = table_rows(client.get("/surveys", params={"lang": lang}).text, "surveys")
    assert row[1:] == [
        fmt.number(invited),
        fmt.number(answered),
        fmt.percent(answered / invited),
        fmt.number(poor),
        fmt.percent(in_sla / poor),
        fmt.percent(0 / 1),  # the one closed was not followed by a purchase or a better answer
    ]
    page = client.get("/surveys/nps", params={"lang": lang, "band": "detractor"}).text
    with store.connect() as conn:
        ids = [
            str(i)
            for i in conn.execute(
                text("SELECT id FROM survey_answers WHERE band = 'detractor' ORDER BY id DESC")
            ).scalars()
        ]
    assert [f'data-answer="{i}"' in page for i in ids] == [True] * len(ids)
    assert len(table_rows(page, "answers")) == len(ids) == poor
    assert len(table_rows(page, "detractors")) == poor
    assert "slow" in page and ("贬损者" in page) == (lang == "zh")
    # NPS of the month: % promoters − % detractors of every answer
    promoters = _one(store, "SELECT count(*) FROM survey_answers WHERE band = 'promoter'")
    total = _one(store, "SELECT count(*) FROM survey_answers")
    option = chart_option(client.get("/surveys/nps", params={"lang": lang}).text, "survey-trend")
    assert option["series"][0]["data"] == [round(100 * (promoters - poor) / total, 1)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_team_page_board_and_pareto(client: TestClient, store: Engine, lang: str) -> None:
    open_ = _one(
        store,
        "SELECT count(*) FROM survey_followups f JOIN tasks t ON t.id = f.task_id "
        "WHERE f.team = 'support' AND t.status = 'open'",
    )
    teams_page = client.get("/feedback", params={"lang": lang}).text
    [row] = table_rows(teams_page, "teams")
    assert row[0] == ("客服" if lang == "zh" else "support") and row[3] == str(open_)
    page = client.get("/feedback/support", params={"lang": lang}).text
    assert 'data-kpi="open"><span class="label">' in page
    assert len(table_rows(page, "items")) == open_ == 1
    # every open follow-up is long past its 48 hours: overdue
    assert row[5] == str(open_)
    [cause] = table_rows(page, "pareto")
    assert cause[2:] == ["1", Formatter(lang, "USD").percent(1.0)]
    assert cause[1] == ("价格" if lang == "zh" else "price")


def test_the_360_shows_invitations_and_answers(client: TestClient, store: Engine) -> None:
    with store.connect() as conn:
        cid, invitation = conn.execute(
            text("SELECT customer_id, id FROM survey_invitations ORDER BY id LIMIT 1")
        ).one()
    page = client.get(f"/customers/{cid}").text
    assert f'data-entry="invitation-{invitation}"' in page
    assert 'data-type="survey_answered"' in page


def test_completing_a_follow_up_on_the_tasks_page_asks_how_it_ended(
    client: TestClient, store: Engine
) -> None:
    # last in this file: it closes the store's open follow-up
    task_id = _one(
        store,
        "SELECT f.task_id FROM survey_followups f JOIN tasks t ON t.id = f.task_id "
        "WHERE t.status = 'open'",
    )
    page = client.get("/tasks", params={"lang": "zh"}).text
    assert f'data-task="{task_id}"' in page and 'name="follow_up"' in page and "联系不上" in page
    csrf = sign_in(client, "admin")
    form = {"csrf": csrf, "outcome": "called", "root_cause": "product", "next": "/tasks"}
    missing = client.post(f"/tasks/{task_id}/complete", data=form, follow_redirects=False)
    assert missing.status_code == 422 and "outcome" in missing.text
    done = client.post(
        f"/tasks/{task_id}/complete",
        data=form | {"follow_up": "not_reachable"},
        follow_redirects=False,
    )
    assert done.status_code in (200, 303), done.text
    with store.connect() as conn:
        row = conn.execute(
            text(
                "SELECT outcome, root_cause, contacted_at FROM survey_followups WHERE task_id = :t"
            ),
            {"t": task_id},
        ).one()
    assert tuple(row) == ("not_reachable", "product", None)  # not reached: no first contact
