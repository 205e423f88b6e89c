"""The sales view: lead scores in the customer list and the 360, and who to call today.

Every figure is checked against the store read independently of the pages' code.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tenure.domains.customers.models import Customer
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.scoring.models import ScoreHistory, ScoringRun
from tenure.domains.users import service as users
from tenure.domains.users.models import User
from tests.web.conftest import PASSWORD, sign_in, table_rows

CALLER = "caller@web.test"


def _latest_run(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(ScoringRun.id)
                .where(ScoringRun.status == "done")
                .order_by(ScoringRun.as_of.desc(), ScoringRun.id.desc())
                .limit(1)
            ).scalar_one()
        )


def _leads(engine: Engine) -> list[tuple[int, float, str]]:
    """(customer id, lead score, band) of every scored lead of the latest run, best first."""
    run = _latest_run(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ScoreHistory.customer_id, ScoreHistory.lead_score, ScoreHistory.lead_band)
            .join(
                StageHistory,
                (StageHistory.customer_id == ScoreHistory.customer_id)
                & (StageHistory.run_id == ScoreHistory.run_id),
            )
            .where(
                ScoreHistory.run_id == run,
                StageHistory.stage == "potential",
                ScoreHistory.lead_score.is_not(None),
            )
            .order_by(ScoreHistory.lead_score.desc(), ScoreHistory.customer_id.desc())
        )
        return [(int(c), float(s), str(b)) for c, s, b in rows]


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page)]


def test_the_customer_list_sorts_and_filters_by_lead_score(
    app_client: TestClient, demo_engine: Engine
) -> None:
    sign_in(app_client, "sales")
    engine = demo_engine
    leads = _leads(engine)
    assert leads, "the demo store has scored leads"
    page = app_client.get("/customers?sort=-lead_score")
    assert page.status_code == 200
    assert _ids(page.text) == [c for c, _, _ in leads[:50]]
    scores = [float(r[6].split()[0]) for r in table_rows(page.text, "customer-list")]
    assert scores == sorted(scores, reverse=True)
    for band in ("warm", "cold"):  # the small demo has few hot leads, if any
        banded = app_client.get(f"/customers?lead_band={band}&sort=-lead_score")
        expected = [c for c, _, b in leads if b == band][:50]
        assert expected and _ids(banded.text) == expected
        assert set(re.findall(r'data-lead="(\w*)"', banded.text)) == {band}
    least = app_client.get("/customers?min_lead=60&sort=-lead_score")
    assert _ids(least.text) == [c for c, s, _ in leads if s >= 60][:50]


def _caller(engine: Engine) -> int:
    with engine.begin() as conn:
        found = conn.execute(select(User.id).where(User.email == CALLER)).scalar_one_or_none()
        if found is not None:
            return int(found)
        user_id = users.create_user(conn, "Cai Ler", CALLER, "sales")[0]
        users.set_password(conn, CALLER, PASSWORD)
        return int(user_id)


def test_who_to_call_lists_a_salespersons_hot_leads_best_first(
    app_client: TestClient, demo_engine: Engine
) -> None:
    engine = demo_engine
    caller = _caller(engine)
    leads = _leads(engine)
    # the three best leads made hot in the latest run (the small demo has few), and a warm one
    hot = [c for c, _, _ in leads[:3]]
    warm = [c for c, _, band in leads[3:] if band == "warm"][:1]
    with engine.begin() as conn:
        conn.execute(
            update(ScoreHistory)
            .where(ScoreHistory.run_id == _latest_run(engine), ScoreHistory.customer_id.in_(hot))
            .values(lead_band="hot")
        )
        conn.execute(update(Customer).where(Customer.id.in_(hot + warm)).values(owner_id=caller))
    sign_in(app_client, "manager")
    page = app_client.get(f"/calls?owner={caller}")
    assert page.status_code == 200
    # the hot ones, best first; the warm one is not hot and has not cooled
    assert _ids(page.text) == hot
    assert re.search(r'data-count="hot">3<', page.text)
    zh = app_client.get(f"/calls?owner={caller}&lang=zh")
    assert "热门潜在客户" in zh.text and "Hot leads" not in zh.text


def test_a_salesperson_without_leads_or_tasks_is_told_so(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    page = app_client.get("/calls")
    assert page.status_code == 200
    assert 'id="nothing-to-call"' in page.text


def test_the_360_of_a_lead_says_which_ideal_customer_rules_it_meets(
    app_client: TestClient, demo_engine: Engine
) -> None:
    engine = demo_engine
    lead, score, band = _leads(engine)[0]
    with engine.connect() as conn:
        channel, consent, size = conn.execute(
            select(
                Customer.acquisition_channel, Customer.email_consent, Customer.company_size
            ).where(Customer.id == lead)
        ).one()
    expected = [
        channel in ("referral", "events", "partners"),
        consent is True,
        size in ("51-200", "201-1000", "1000+"),
    ]
    sign_in(app_client, "sales")
    page = app_client.get(f"/customers/{lead}")
    assert page.status_code == 200
    shown = re.search(r'data-score="lead_score">([^<]+)<', page.text)
    assert shown is not None and float(shown[1]) == round(score)
    rules = re.findall(r'<li class="(met|missed)">', page.text)
    assert rules == ["met" if m else "missed" for m in expected]
    assert f"band-{band}" in page.text
    zh = app_client.get(f"/customers/{lead}?lang=zh")
    assert "理想客户规则" in zh.text
