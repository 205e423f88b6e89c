"""The web app's pages on a real store: sign-in, sessions, CSRF, roles, both languages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tenure.domains.audit import service as audit
from tenure.domains.customers.models import Customer
from tenure.domains.registry import metadata
from tenure.domains.scoring import views
from tenure.domains.scoring.reports import kpi_report
from tenure.domains.users.models import User
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine, write_transaction
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tenure.web.pages.overview import tiles
from tests.web.conftest import PASSWORD, owned_customer, sign_in

PAGES = ("/", "/customers", "/tasks", "/audit")


def test_pages_need_a_signed_in_user(app_client: TestClient) -> None:
    for path in (*PAGES, "/customers/1", "/customers.csv"):
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=/")


def test_sign_in_sets_a_safe_cookie_and_goes_where_asked(app_client: TestClient) -> None:
    form = app_client.get("/login?next=/tasks")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None and 'name="next" value="/tasks"' in form.text
    answer = app_client.post(
        "/login",
        data={"email": "Viewer@Web.test", "password": PASSWORD, "csrf": token[1], "next": "/tasks"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/tasks"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http on loopback; https sets it
    assert app_client.get("/tasks").status_code == 200


def test_sign_in_refuses_other_sites_and_open_redirects(app_client: TestClient) -> None:
    # no form token (a form posted from another site): refused before the password is read
    forged = app_client.post("/login", data={"email": "admin@web.test", "password": PASSWORD})
    assert forged.status_code == 403
    form = app_client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    answer = app_client.post(
        "/login",
        data={
            "email": "admin@web.test",
            "password": PASSWORD,
            "csrf": token[1],
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_failed_sign_ins_are_throttled(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine, Settings()))
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    wrong = {"email": "csm@web.test", "password": "not it at all", "csrf": token[1]}
    statuses = [client.post("/login", data=wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5
    right = {**wrong, "password": PASSWORD}
    paused = client.post("/login", data=right)
    assert paused.status_code == 429  # even the right password waits out the window
    assert "15 minutes" in paused.text
    with write_transaction(demo_engine) as conn:  # the window passes
        attempts = metadata().tables["login_attempts"]
        conn.execute(attempts.delete().where(attempts.c.email == "csm@web.test"))
    assert client.post("/login", data=right, follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "viewer")
    assert app_client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    app_client.post("/logout", data={"csrf": csrf})
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_every_page_renders_in_both_languages(app_client: TestClient) -> None:
    sign_in(app_client, "admin")
    customer = app_client.get("/customers?sort=-clv").text
    first = re.search(r'href="/customers/(\d+)"', customer)
    assert first is not None
    for path in (*PAGES, f"/customers/{first[1]}"):
        english = app_client.get(path, params={"lang": "en"})
        chinese = app_client.get(path, params={"lang": "zh"})
        assert english.status_code == chinese.status_code == 200, path
        assert 'lang="en"' in english.text and 'lang="zh-CN"' in chinese.text
        assert "Sign out" in english.text and "退出登录" in chinese.text
    assert "总览" in app_client.get("/", params={"lang": "zh"}).text
    assert "2026年3月31日" in app_client.get("/", params={"lang": "zh"}).text
    assert "Mar 31, 2026" in app_client.get("/", params={"lang": "en"}).text


def test_a_tiles_colour_says_whether_its_change_is_good_news() -> None:
    window = {
        "revenue": 80.0,  # down from 100: bad news
        "orders": 12,  # up from 10: good
        "new_customers": 5,  # the same: neither
        "active": 100,
        "lapsed": 3,  # down from 6: good news, though the arrow points down
        "won_back": 1,
    }
    before = {**window, "revenue": 100.0, "orders": 10, "lapsed": 6}
    found = {t["key"]: t for t in tiles({"window": {"current": window, "previous": before}})}
    assert (found["lapsed"]["change"], found["lapsed"]["news"]) == (-0.5, "good")
    assert (found["revenue"]["change"], found["revenue"]["news"]) == (-0.2, "bad")
    assert found["orders"]["news"] == "good" and found["new_customers"]["news"] == "flat"


def test_the_overview_colours_each_change_by_the_news(
    app_client: TestClient, demo_engine: Engine
) -> None:
    sign_in(app_client, "viewer")
    page = app_client.get("/").text
    with demo_engine.connect() as conn:
        kpis = kpi_report(conn)
    assert kpis is not None
    now, before = kpis["window"]["current"], kpis["window"]["previous"]
    shown = dict(re.findall(r'data-kpi="(\w+)">.*?<span class="change (\w+)"', page, re.S))
    assert set(shown) >= {"lapsed", "revenue"}
    for key, colour in shown.items():
        more_is_good = key != "lapsed"  # fewer lapsed customers is good news
        good = (now[key] > before[key]) == more_is_good
        assert colour == ("flat" if now[key] == before[key] else "good" if good else "bad"), key


def test_lapsed_and_churned_have_different_names_in_both_languages(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "viewer")
    for lang, churned in (("en", "Churned"), ("zh", "流失")):
        page = app_client.get(f"/?lang={lang}").text
        label = re.search(r'data-kpi="lapsed"><span class="label" title="([^"]+)">([^<]+)<', page)
        assert label is not None, lang
        assert churned not in label[2], lang  # the tile is not called by the stage's name
        assert "180" in label[1]  # and says what it counts
        assert re.search(rf'data-stage="churned"><td><a [^>]+>{churned}', page), lang


def test_the_language_switch_is_saved_for_the_user(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "marketing")
    app_client.post("/language", data={"lang": "zh", "csrf": csrf, "next": "/customers"})
    assert "筛选" in app_client.get("/customers").text
    app_client.post("/language", data={"lang": "en", "csrf": csrf, "next": "/"})
    assert "Filter" in app_client.get("/customers").text


def test_the_customer_list_filters_sorts_and_pages(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    churned = app_client.get("/customers", params={"stage": "churned"}).text
    assert "流失客户" not in churned and churned.count("<tr data-id=") > 0
    by_value = app_client.get("/customers", params={"sort": "-clv"}).text
    ids = re.findall(r'<tr data-id="(\d+)"', by_value)
    assert len(ids) == 50
    following = re.search(r'id="next-page" href="([^"]+)"|href="([^"]+)" id="next-page"', by_value)
    assert following is not None
    second = app_client.get((following[1] or following[2]).replace("&amp;", "&")).text
    assert not set(ids) & set(re.findall(r'<tr data-id="(\d+)"', second))
    nothing = app_client.get("/customers", params={"q": "no such person anywhere"}).text
    assert 'id="no-customers"' in nothing and "Loosen one" in nothing
    bad = app_client.get("/customers", params={"min_clv": "lots"}).text
    assert "min_clv: &#39;lots&#39; is not a number" in bad


def test_csv_export_has_every_matching_customer(
    app_client: TestClient, demo_engine: Engine
) -> None:
    sign_in(app_client, "viewer")
    answer = app_client.get("/customers.csv", params={"stage": "churned"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    shown = app_client.get("/customers", params={"stage": "churned"}).text
    assert rows and {r["stage"] for r in rows} == {"churned"}
    assert len(rows) >= shown.count("<tr data-id=")
    # the owner named beside the id, figures rounded, read straight from the store
    owned = owned_customer(demo_engine)
    with demo_engine.connect() as conn:
        owner = conn.execute(
            select(User.name)
            .join(Customer, Customer.owner_id == User.id)
            .where(Customer.id == owned)
        ).scalar_one()
    every = app_client.get("/customers.csv").text.removeprefix("\ufeff")
    one = list(csv.DictReader(io.StringIO(every)))
    row = next(r for r in one if r["id"] == str(owned))
    assert row["owner"] == owner and row["owner_id"]
    assert all(len(r["clv"].partition(".")[2]) <= 2 for r in one if r["clv"])
    assert all(len(r["p_alive"].partition(".")[2]) <= 3 for r in one if r["p_alive"])
    assert answer.text.startswith("\ufeff")  # the BOM: Excel reads the UTF-8 as such


def test_save_filters_as_a_segment(app_client: TestClient, demo_engine: Engine) -> None:
    csrf = sign_in(app_client, "manager")
    page = app_client.get("/customers", params={"stage": "mature", "min_clv": "100"}).text
    assert 'id="save-segment"' in page and 'id="not-saved"' not in page
    searched = app_client.get("/customers", params={"stage": "mature", "q": "a"}).text
    assert 'id="not-saved"' in searched  # the search is not kept: the page says so
    saved = app_client.post(
        "/customers/segment",
        data={"name": "mature and valuable", "query": "stage=mature&min_clv=100", "csrf": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    members = app_client.get(saved.headers["location"]).text
    listed = app_client.get("/customers", params={"stage": "mature", "min_clv": "100"}).text
    assert re.findall(r'<tr data-id="(\d+)"', members) == re.findall(r'<tr data-id="(\d+)"', listed)
    with demo_engine.connect() as conn:
        entries, _ = audit.entries(conn, entity="segments")
    assert entries[0]["action"] == "segment.create" and entries[0]["via"] == "web"


def test_a_viewer_reads_but_does_not_change(app_client: TestClient, demo_engine: Engine) -> None:
    customer = owned_customer(demo_engine)
    csrf = sign_in(app_client, "viewer")
    page = app_client.get(f"/customers/{customer}").text
    assert 'id="edit-customer"' not in page and 'id="new-task"' not in page
    refused = app_client.post(
        f"/customers/{customer}/edit", data={"owner": "", "tags": "x", "csrf": csrf}
    )
    assert refused.status_code == 403 and "viewer" in refused.text
    assert app_client.get("/audit").status_code == 403


def test_edit_owner_and_tags_is_audited(app_client: TestClient, demo_engine: Engine) -> None:
    customer = owned_customer(demo_engine)
    # a manager: a salesperson who hands a customer to a colleague no longer sees them
    csrf = sign_in(app_client, "manager")
    users_table = metadata().tables["users"]
    with demo_engine.connect() as conn:
        csm = conn.execute(
            select(users_table.c.id).where(users_table.c.email == "csm@web.test")
        ).scalar_one()
        # other tests of the shared demo store may have tagged this customer before
        tags_before = conn.execute(
            select(Customer.tags).where(Customer.id == customer)
        ).scalar_one()
    stale = app_client.post(
        f"/customers/{customer}/edit", data={"owner": str(csm), "tags": "vip", "csrf": "stale"}
    )
    assert stale.status_code == 403 and "stale" in stale.text
    app_client.post(
        f"/customers/{customer}/edit",
        data={"owner": str(csm), "tags": "vip, renewal，vip", "csrf": csrf},
    )
    page = app_client.get(f"/customers/{customer}").text
    assert '<span class="tag">vip</span>' in app_client.get("/customers?tag=vip").text
    assert 'value="vip, renewal"' in page
    with demo_engine.connect() as conn:
        entry = audit.entries(conn, entity="customers", entity_id=customer)[0][0]
    assert entry["action"] == "customer.update" and entry["via"] == "web"
    assert entry["after"] == {"owner_id": csm, "tags": ["vip", "renewal"]}
    assert entry["before"]["tags"] == tags_before


def test_a_customers_time_zone_is_set_shown_and_checked(
    app_client: TestClient, demo_engine: Engine
) -> None:
    customer = owned_customer(demo_engine)
    csrf = sign_in(app_client, "sales")
    form = {"owner": "", "tags": "", "csrf": csrf}
    app_client.post(f"/customers/{customer}/edit", data={**form, "timezone": "asia/shanghai"})
    page = app_client.get(f"/customers/{customer}").text
    assert '<span id="customer-timezone">time zone Asia/Shanghai</span>' in page
    assert 'name="timezone" list="zones" value="Asia/Shanghai"' in page
    wrong = app_client.post(f"/customers/{customer}/edit", data={**form, "timezone": "Mars/Base"})
    assert wrong.status_code == 422 and "timezone" in wrong.text
    assert "Asia/Shanghai" in app_client.get(f"/customers/{customer}").text  # still set
    # emptied: the business's zone again
    app_client.post(f"/customers/{customer}/edit", data={**form, "timezone": ""})
    assert 'id="customer-timezone"' not in app_client.get(f"/customers/{customer}").text


def test_add_and_complete_a_task(app_client: TestClient, demo_engine: Engine) -> None:
    customer = owned_customer(demo_engine, "csm@web.test")
    csrf = sign_in(app_client, "csm")
    app_client.post(
        f"/customers/{customer}/tasks",
        data={"title": "Call about the renewal", "due_on": "2020-01-01", "csrf": csrf},
    )
    inbox = app_client.get("/tasks").text
    assert "Call about the renewal" in inbox and 'class="task overdue"' in inbox
    task = re.search(r'class="task overdue" data-task="(\d+)"', inbox)
    assert task is not None
    empty = app_client.post(f"/tasks/{task[1]}/complete", data={"outcome": " ", "csrf": csrf})
    assert empty.status_code == 422 and "outcome" in empty.text
    app_client.post(f"/tasks/{task[1]}/complete", data={"outcome": "Renewing", "csrf": csrf})
    after = app_client.get("/tasks").text
    assert f'data-task="{task[1]}"' not in after and "Renewing" in after
    again = app_client.post(f"/tasks/{task[1]}/complete", data={"outcome": "x", "csrf": csrf})
    assert again.status_code == 409


def test_unknown_customer_is_a_404_page(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    answer = app_client.get("/customers/987654")
    assert answer.status_code == 404 and "no customer with id 987654" in answer.text


@pytest.mark.parametrize("path", ["/", "/customers", "/tasks"])
def test_empty_store_teaches_the_next_step(empty_sqlite_url: str, path: str) -> None:
    from tenure.domains.users import service as users

    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with write_transaction(engine) as conn:
        users.create_user(conn, "Admin", "admin@web.test", "admin")
        users.set_password(conn, "admin@web.test", PASSWORD)
    client = TestClient(create_app(engine, Settings()))
    sign_in(client, "admin")
    page = client.get(path).text
    assert "tenure demo" in page or "POST /api/v1/tasks" in page


def test_htmx_completes_and_reassigns_a_task_in_place(
    app_client: TestClient, demo_engine: Engine
) -> None:
    customer = owned_customer(demo_engine, "csm@web.test")
    csrf = sign_in(app_client, "csm")
    app_client.post(
        f"/customers/{customer}/tasks", data={"title": "Send the renewal quote", "csrf": csrf}
    )
    page = app_client.get(f"/customers/{customer}").text
    task = re.findall(r'data-task="(\d+)"', page)[-1]
    users_table = metadata().tables["users"]
    with demo_engine.connect() as conn:
        sales = conn.execute(
            select(users_table.c.id).where(users_table.c.email == "sales@web.test")
        ).scalar_one()
    htmx = {"HX-Request": "true"}
    moved = app_client.post(
        f"/tasks/{task}/assign", data={"assignee": str(sales), "csrf": csrf}, headers=htmx
    )
    assert moved.status_code == 200 and moved.text.lstrip().startswith('<div class="task')
    assert "Sales Tester" in moved.text and "<html" not in moved.text
    # now the salesperson's task: outside the csm's reach ([access] csm = team; no team here)
    theirs = app_client.post(
        f"/tasks/{task}/complete", data={"outcome": "Quote sent", "csrf": csrf}, headers=htmx
    )
    assert theirs.status_code == 403 and "is not yours" in theirs.text
    csrf = sign_in(app_client, "sales")
    done = app_client.post(
        f"/tasks/{task}/complete", data={"outcome": "Quote sent", "csrf": csrf}, headers=htmx
    )
    assert 'class="task done"' in done.text and "✓ Quote sent" in done.text


def test_a_churned_customer_shows_the_chance_of_coming_back_not_a_risk(
    app_client: TestClient, demo_engine: Engine
) -> None:
    stages, scores = views.customer_stages, views.customer_scores
    with demo_engine.connect() as conn:
        churned = conn.execute(
            select(scores.c.customer_id, scores.c.p_alive, scores.c.churn_risk)
            .join(stages, stages.c.customer_id == scores.c.customer_id)
            .where(stages.c.stage == "churned")
            .limit(1)
        ).one()
    assert churned.churn_risk is None  # the run keeps no risk of leaving for the gone
    sign_in(app_client, "manager")  # whoever owns them: managers see every customer
    page = app_client.get(f"/customers/{churned.customer_id}").text
    assert "Chance of coming back, 90 days" in page and 'id="risk-note"' in page
    assert re.search(r'data-score="churn_risk">—<', page)
    shown = re.search(r'data-score="p_alive">([^<]*)<', page)
    assert shown is not None and shown[1] == f"{churned.p_alive:.0%}"
    zh = app_client.get(f"/customers/{churned.customer_id}?lang=zh").text
    assert "90 天内回来的概率" in zh and "已流失" in zh


def test_reasons_of_a_low_risk_are_not_headed_why_at_risk(
    app_client: TestClient, demo_engine: Engine
) -> None:
    table = metadata().tables["score_history"]
    stages = views.customer_stages
    with demo_engine.connect() as conn:
        row = conn.execute(
            select(stages.c.customer_id, stages.c.run_id).where(stages.c.stage == "growing")
        ).first()
    assert row is not None
    reasons = [{"feature": "days_since_last", "value": 12.0, "push": 0.1}]
    key = (table.c.run_id == row.run_id) & (table.c.customer_id == row.customer_id)
    with write_transaction(demo_engine) as conn:
        before = conn.execute(select(table.c.churn_risk, table.c.churn_reasons).where(key)).one()
        conn.execute(update(table).where(key).values(churn_risk=0.02, churn_reasons=reasons))
    try:
        sign_in(app_client, "csm")
        low = app_client.get(f"/customers/{row.customer_id}").text
        assert "Low risk; what weighs on it most" in low and "Why at risk" not in low
        with write_transaction(demo_engine) as conn:
            conn.execute(update(table).where(key).values(churn_risk=0.45))
        high = app_client.get(f"/customers/{row.customer_id}").text
        assert "Why at risk" in high and "no purchase for 12 days" in high
    finally:
        with write_transaction(demo_engine) as conn:
            conn.execute(update(table).where(key).values(**before._asdict()))
