"""The sales view: lead scores in the customer list and the 360, and who to call today.

Every figure is checked against the store read independently of the pages' code.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tenure.domains.customers.models import Customer
from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.scoring.models import ScoreHistory, ScoringRun
from tenure.domains.users import service as users
from tenure.domains.users.models import User
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction
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
    sign_in(app_client, "manager")  # every lead: a salesperson sees their own (test_read_scopes)
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
        shown = re.search(r'id="customer-count">([\d,]+) ', banded.text)
        assert shown is not None  # the whole count, beside the page of 50
        assert int(shown[1].replace(",", "")) == len([c for c, _, b in leads if b == band])
    least = app_client.get("/customers?min_lead=60&sort=-lead_score")
    assert _ids(least.text) == [c for c, s, _ in leads if s >= 60][:50]


def _caller(engine: Engine) -> int:
    with write_transaction(engine) as conn:
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
    with write_transaction(engine) as conn:
        conn.execute(
            update(ScoreHistory)
            .where(ScoreHistory.run_id == _latest_run(engine), ScoreHistory.customer_id.in_(hot))
            .values(lead_band="hot")
        )
        conn.execute(update(Customer).where(Customer.id.in_(hot + warm)).values(owner_id=caller))
        # the warm one fell from hot yesterday (as a run writes it): cooling
        feed.append(
            conn,
            EventSource.RUN,
            [
                feed.NewEvent(
                    key=f"test:cooled:{warm[0]}",
                    customer_id=warm[0],
                    type=SystemEventType.SCORE_CROSSED,
                    occurred_at=utcnow() - timedelta(days=1),
                    properties={"score": "lead_band", "from": "hot", "to": "warm"},
                )
            ],
        )
    sign_in(app_client, "manager")
    page = app_client.get(f"/calls?owner={caller}")
    assert page.status_code == 200
    # the hot ones, best first, then the warm one that cooled
    assert _ids(page.text) == [*hot, *warm]
    assert re.search(r'data-count="hot">3<', page.text)
    assert table_rows(page.text, "cooling-leads")[0][4].startswith("hot → warm")
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
    sign_in(app_client, "manager")  # whoever owns the lead
    page = app_client.get(f"/customers/{lead}")
    assert page.status_code == 200
    shown = re.search(r'data-score="lead_score">([^<]+)<', page.text)
    assert shown is not None and float(shown[1]) == round(score)
    rules = re.findall(r'<li class="(met|missed)">', page.text)
    assert rules == ["met" if m else "missed" for m in expected]
    assert f"band-{band}" in page.text
    zh = app_client.get(f"/customers/{lead}?lang=zh")
    assert "理想客户规则" in zh.text


def _settings_form(page: str) -> dict[str, str]:
    """The lead-score form's fields as the page fills them (selected options, input values)."""
    form = page[page.index('id="lead-settings"') :]
    form = form[: form.index("</form>")]
    values = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', form))
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r"<option selected>([^<]*)<", body)
        values[name] = chosen[1] if chosen else ""
    return {k: v.replace("&#39;", "'") for k, v in values.items()}


def test_a_manager_edits_the_ideal_customer_rules_and_a_leads_360_follows(
    app_client: TestClient, demo_engine: Engine
) -> None:
    csrf = sign_in(app_client, "manager")
    form = _settings_form(app_client.get("/settings").text)
    assert form["rule_0_field"] == "acquisition_channel"
    assert form["rule_0_value"] == "referral, events, partners"
    assert form["rule_1_value"] == "yes" and form["rule_3_field"] == ""  # a blank row to add
    form |= {
        "csrf": csrf,
        "rule_0_points": "50",
        "rule_1_field": "",  # deleted
        "rule_3_field": "company_size",
        "rule_3_op": "in",
        "rule_3_value": "11-50，51-200",  # a Chinese comma separates too
        "rule_3_points": "10",
        "rule_3_en": "a small company",
        "rule_3_zh": "小公司",
    }
    try:
        answer = app_client.post("/settings/leads", data=form, follow_redirects=False)
        assert answer.status_code == 303
        lead = _leads(demo_engine)[0][0]
        page = app_client.get(f"/customers/{lead}?lang=zh").text
        words = re.findall(
            r'<li class="(?:met|missed)">[✓✗] ([^<]+?) <span class="muted">([^<]+)<', page
        )
        assert words == [
            ("经推荐、活动或合作伙伴而来", "50 分"),
            ("公司规模超过 50 人", "30 分"),
            ("小公司", "10 分"),
        ]
        again = _settings_form(app_client.get("/settings").text)
        assert (again["rule_2_field"], again["rule_2_value"]) == ("company_size", "11-50, 51-200")
        for bad, named in (
            ({"rule_0_points": "500"}, "fit_rules.0.points"),
            ({"cold_below": "90"}, "cold_below"),
            ({"rule_0_field": "city"}, "fit_rules.0.when"),
            ({"rule_0_op": "between"}, "fit_rules.0.op"),
            ({"fit_weight": "1.5"}, "fit_weight"),
        ):
            refused = app_client.post("/settings/leads", data={**again, "csrf": csrf, **bad})
            assert refused.status_code == 422, bad
            assert named in refused.text, (bad, refused.text[:200])
    finally:
        app_client.post("/settings/leads", data={"csrf": csrf, "reset": "1"})
    restored = _settings_form(app_client.get("/settings").text)
    assert restored["rule_1_field"] == "email_consent"
