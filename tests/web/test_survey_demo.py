"""The demo company's surveys: figures against the tables, answers against the truth, the loop.

One small demo (6,000 customers) made by `tenure demo` as a user would (the CLI in a real
process, a real SQLite file); `tenure demo check` reads it against the truth files. The
Surveys and Feedback pages' figures are counted again here from the rows; the browser follows
a detractor from their answer to a closed task on a phone, in English and in 中文.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, text

from tenure.domains.users import service as users
from tenure.kit.settings import Settings, WorkerSettings
from tenure.storage.engine import make_engine
from tenure.web.app import create_app
from tenure.web.i18n import Formatter
from tests.conftest import served
from tests.web.conftest import PASSWORD, chart_option, sign_in, table_rows
from tests.web.test_browser import CHROMIUM_FLAGS
from tests.web.test_phone_width import PHONE, SLACK, WIDEST

POOR = ("detractor", "unsatisfied")
TITLE = {"en": "How are we doing?", "zh": "我们做得怎么样？"}


def _tenure(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TENURE_DATABASE_URL": url, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tenure", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=1800,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`tenure demo` of 6,000 customers, its truth, `tenure demo check`, and an admin to sign in."""
    folder = tmp_path_factory.mktemp("surveydemo")
    url = f"sqlite:///{folder / 'tenure.db'}"
    truth = folder / "truth"
    made = _tenure(
        "demo", "--customers", "6000", "--seed", "7", "--end", "2026-06-30",
        "--truth", str(truth), "--json", url=url, cwd=folder,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    checked = _tenure("demo", "check", "--truth", str(truth), "--json", url=url, cwd=folder)
    engine = make_engine(url)
    with engine.begin() as conn:
        users.create_user(conn, "Web Admin", "admin@web.test", "admin")
        users.set_password(conn, "admin@web.test", PASSWORD)
    yield {
        "engine": engine,
        "made": json.loads(made.stdout),
        "check": json.loads(checked.stdout) | {"exit_code": checked.returncode},
        "truth": json.loads((truth / "surveys.json").read_text()),
    }
    engine.dispose()


@pytest.fixture
def client(demo: dict[str, Any]) -> TestClient:
    made = TestClient(create_app(demo["engine"], Settings()))
    sign_in(made, "admin")
    return made


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def _utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _nps_figures(engine: Engine) -> dict[str, Any]:
    """The NPS survey's figures, counted here from its rows (docs/surveys.md, "Figures")."""
    invitations = _rows(
        engine,
        "SELECT i.answered_at FROM survey_invitations i JOIN surveys s ON s.id = i.survey_id "
        "WHERE s.key = 'nps' AND i.status = 'invited'",
    )
    answers = _rows(
        engine,
        "SELECT a.id, a.customer_id, a.band, a.answered_at, f.due_at, f.created_at, "
        "f.contacted_at, f.closed_at FROM survey_answers a JOIN surveys s ON s.id = a.survey_id "
        "LEFT JOIN survey_followups f ON f.answer_id = a.id WHERE s.key = 'nps'",
    )
    paid = defaultdict(list)
    for customer_id, at in _rows(
        engine, "SELECT customer_id, ordered_at FROM orders WHERE status = 'paid'"
    ):
        paid[customer_id].append(_utc(at))
    poor = [a for a in answers if a.band in POOR]
    reached = [a for a in poor if a.contacted_at is not None]
    closed = [a for a in poor if a.closed_at is not None]

    def recovered(a: Any) -> bool:
        later = sorted(
            (
                b
                for b in answers
                if b.customer_id == a.customer_id and _utc(b.answered_at) > _utc(a.answered_at)
            ),
            key=lambda b: (_utc(b.answered_at), b.id),
        )
        if later and later[0].band not in POOR:
            return True
        return any(at > _utc(a.answered_at) for at in paid[a.customer_id])

    months: dict[str, Counter[str]] = defaultdict(Counter)
    for a in answers:
        months[_utc(a.answered_at).strftime("%Y-%m")][a.band] += 1
    return {
        "invited": len(invitations),
        "answered": sum(1 for (at,) in invitations if at is not None),
        "poor": len(poor),
        "in_sla": sum(1 for a in reached if _utc(a.contacted_at) <= _utc(a.due_at)),
        "median_hours": median(
            (_utc(a.contacted_at) - _utc(a.created_at)).total_seconds() / 3600 for a in reached
        ),
        "closed": len(closed),
        "recovered": sum(1 for a in closed if recovered(a)),
        "trend": [
            round(100 * (m["promoter"] - m["detractor"]) / sum(m.values()), 1)
            for _, m in sorted(months.items())
        ],
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_surveys_pages_show_the_figures_the_rows_give(
    client: TestClient, demo: dict[str, Any], lang: str
) -> None:
    fmt, want = Formatter(lang, "USD"), _nps_figures(demo["engine"])
    rows = table_rows(client.get("/surveys", params={"lang": lang}).text, "surveys")
    [row] = [r for r in rows if r[0] == TITLE[lang]]
    assert row[1:] == [
        fmt.number(want["invited"]),
        fmt.number(want["answered"]),
        fmt.percent(want["answered"] / want["invited"]),
        fmt.number(want["poor"]),
        fmt.percent(want["in_sla"] / want["poor"]),
        fmt.percent(want["recovered"] / want["closed"]),
    ]
    page = client.get("/surveys/nps", params={"lang": lang}).text
    assert f">{fmt.number(want['median_hours'], 1)}<" in page
    assert chart_option(page, "survey-trend")["series"][0]["data"] == want["trend"]
    detractors = table_rows(page, "detractors")
    assert len(detractors) == min(want["poor"], 200)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_feedback_pages_show_each_teams_follow_ups_as_the_rows_give(
    client: TestClient, demo: dict[str, Any], lang: str
) -> None:
    engine, now = demo["engine"], datetime.now(UTC)
    page = client.get("/feedback", params={"lang": lang}).text
    shown = {r[0]: r for r in table_rows(page, "teams")}
    assert ("团队负责人" in page) == (lang == "zh") and "潜在客户" not in page
    teams = _rows(
        engine,
        "SELECT t.key, t.name_en, t.name_zh, u.name FROM teams t "
        "LEFT JOIN users u ON u.id = t.lead_id ORDER BY t.key",
    )
    assert [t.key for t in teams] == ["billing", "product", "sales", "support"]
    for key, name_en, name_zh, lead in teams:
        members = _rows(engine, "SELECT id FROM users WHERE team = :k AND active", k=key)
        open_due = [
            _utc(due)
            for (due,) in _rows(
                engine,
                "SELECT f.due_at FROM survey_followups f JOIN tasks t ON t.id = f.task_id "
                "WHERE f.team = :k AND t.status = 'open'",
                k=key,
            )
        ]
        overdue = sum(1 for due in open_due if due < now)
        row = shown[name_zh if lang == "zh" else name_en]
        assert row[1:] == [
            lead,
            str(len(members)),
            str(len(open_due)),
            str(len(open_due) - overdue),
            str(overdue),
        ]
        # the team's root causes by month, most frequent first, against a count of the rows
        causes: dict[str, Counter[str]] = defaultdict(Counter)
        for closed_at, cause in _rows(
            engine,
            "SELECT closed_at, root_cause FROM survey_followups "
            "WHERE team = :k AND closed_at IS NOT NULL",
            k=key,
        ):
            causes[_utc(closed_at).strftime("%Y-%m")][cause] += 1
        pareto = table_rows(client.get(f"/feedback/{key}", params={"lang": lang}).text, "pareto")
        counted = [
            n
            for month in sorted(causes)
            for _, n in sorted(causes[month].items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        assert [int(p[2]) for p in pareto] == counted


def test_answers_follow_the_truth_and_arrive_through_the_answer_page(demo: dict[str, Any]) -> None:
    engine, truth, report = demo["engine"], demo["truth"], demo["check"]
    surveys = report["surveys"]
    assert report["exit_code"] == 0, report.get("verdicts")
    # about a third answer; the NPS falls from the healthy to the declining to the leaving
    assert 0.25 <= surveys["response_share"] <= 0.42
    nps = {row["state"]: row["nps"] for row in surveys["by_state"]}
    assert surveys["ordered"] is True and nps["healthy"] > nps["declining"] > nps["leaving"]
    assert all(row["answers"] > 0 for row in surveys["by_state"])
    # every answer the truth gave is in the store as the page keeps it: source page, in time
    stored = {
        invitation: (score, source)
        for invitation, score, source in _rows(
            engine,
            "SELECT a.invitation_id, a.score, a.source FROM survey_answers a "
            "JOIN surveys s ON s.id = a.survey_id WHERE s.key = 'nps'",
        )
    }
    given = {r["invitation_id"]: (r["score"], "page") for r in truth["respondents"]}
    assert stored == given and surveys["answered"] == len(given) == truth["answered"]
    events = _rows(engine, "SELECT count(*) FROM events WHERE type = 'survey_answered'")
    assert events[0][0] >= len(given)


def test_detractors_are_followed_up_once_closed_escalated_and_reopened(
    demo: dict[str, Any],
) -> None:
    engine = demo["engine"]
    [(detractors,)] = _rows(
        engine,
        "SELECT count(*) FROM survey_answers a JOIN surveys s ON s.id = a.survey_id "
        "WHERE s.key = 'nps' AND a.band = 'detractor'",
    )
    [(routed, closed, escalated, reopened)] = _rows(
        engine,
        "SELECT count(*), count(closed_at), count(escalated_at), sum(reopened > 0) "
        "FROM survey_followups",
    )
    assert routed == detractors  # every detractor routed to a team
    assert 0 < closed < routed and escalated > 0 and reopened > 0
    # the nps-detractors playbook made no second task for a routed answer
    [(doubled,)] = _rows(
        engine, "SELECT count(*) FROM tasks WHERE source = 'playbook:nps-detractors'"
    )
    assert doubled == 0
    # each follow-up's task is with a member of its team, its lead, or the customer's owner
    wrong = _rows(
        engine,
        "SELECT f.id FROM survey_followups f JOIN tasks t ON t.id = f.task_id "
        "JOIN teams m ON m.key = f.team JOIN customers c ON c.id = f.customer_id "
        "LEFT JOIN users u ON u.id = t.assignee_id "
        "WHERE NOT (u.team = f.team OR t.assignee_id = m.lead_id OR t.assignee_id = c.owner_id)",
    )
    assert wrong == []
    # closed ones have an outcome and a root cause, the task too
    [(incomplete,)] = _rows(
        engine,
        "SELECT count(*) FROM survey_followups f JOIN tasks t ON t.id = f.task_id "
        "WHERE f.closed_at IS NOT NULL AND (f.outcome IS NULL OR f.root_cause IS NULL "
        "OR t.status <> 'done' OR t.root_cause <> f.root_cause)",
    )
    assert incomplete == 0


HTML_LANG = {"en": "en", "zh": "zh-CN"}
WORDS = {
    "en": {"resolved": "resolved", "price": "price"},
    "zh": {"resolved": "已解决", "price": "价格"},
}


@pytest.mark.browser
def test_a_detractor_followed_from_their_answer_to_a_closed_task_on_a_phone(
    demo: dict[str, Any],
) -> None:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    engine = demo["engine"]
    picks = _rows(
        engine,
        "SELECT a.id, a.customer_id, f.task_id FROM survey_answers a "
        "JOIN survey_followups f ON f.answer_id = a.id JOIN tasks t ON t.id = f.task_id "
        "WHERE t.status = 'open' ORDER BY a.answered_at DESC, a.id DESC LIMIT 2",
    )
    assert len(picks) == 2
    quiet = Settings(worker=WorkerSettings(in_server=False))
    wide: dict[str, Any] = {}
    with served(create_app(engine, quiet)) as url, sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(url + "/login")
        page.fill('input[name="email"]', "admin@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")

        def fits(where: str) -> None:
            found = page.evaluate(WIDEST, SLACK)
            if found["scroll"] > found["screen"] + SLACK or found["past"]:
                wide[where] = found

        for lang, (answer_id, customer_id, task_id) in zip(("en", "zh"), picks, strict=True):
            page.goto(f"{url}/surveys")
            if page.locator("html").get_attribute("lang") != HTML_LANG[lang]:
                page.click("#lang-switch")  # as a person switches: kept for their account
                page.wait_for_load_state("load")
            assert page.locator("html").get_attribute("lang") == HTML_LANG[lang]
            fits(f"/surveys?lang={lang}")
            page.click('#surveys tr[data-survey="nps"] a')
            page.wait_for_url(f"{url}/surveys/nps**")
            fits(f"/surveys/nps?lang={lang}")
            row = page.locator(f'#detractors tr[data-answer="{answer_id}"]')
            assert row.locator("td[data-status]").get_attribute("data-status") == "open"
            row.locator("a").first.click()
            page.wait_for_url(f"{url}/customers/{customer_id}**")
            fits(f"/customers/{customer_id}?lang={lang}")
            assert page.locator('[data-type="survey_answered"]').count() >= 1
            card = page.locator(f"#task-{task_id}")
            card.locator('select[name="follow_up"]').select_option("resolved")
            card.locator('input[name="outcome"]').fill("refunded the difference")
            card.locator('select[name="root_cause"]').select_option("price")
            card.locator('button[type="submit"]').first.click()
            page.wait_for_selector(f"#task-{task_id}.done")
            assert WORDS[lang]["price"] in page.locator(f"#task-{task_id}").inner_text().lower()
            page.goto(f"{url}/surveys/nps?band=detractor")
            status = page.locator(f'#detractors tr[data-answer="{answer_id}"] td[data-status]')
            assert status.get_attribute("data-status") == "done"
            said = status.inner_text()
            assert WORDS[lang]["resolved"] in said and WORDS[lang]["price"] in said.lower()
        browser.close()
    assert not wide, wide
    closed = _rows(
        engine,
        "SELECT outcome, root_cause FROM survey_followups WHERE task_id IN (:a, :b)",
        a=picks[0][2],
        b=picks[1][2],
    )
    assert sorted(tuple(r) for r in closed) == [("resolved", "price")] * 2
