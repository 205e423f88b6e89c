"""The Loyalty page and the customer's loyalty card: every figure against plain SQL, both
languages, and a phone's width."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.loyalty import programmes
from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.kit.settings import Settings, WorkerSettings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tenure.web.i18n import Formatter
from tests.conftest import served
from tests.web.conftest import END, PASSWORD, chart_option

JOIN = "FROM loyalty_entries e JOIN loyalty_accounts a ON a.id = e.account_id"
OPEN = "FROM loyalty_tier_memberships WHERE ended_on IS NULL"
PRESET = Path(__file__).resolve().parents[2] / "src/tenure/domains/loyalty/presets/stars.yaml"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """120 demo customers, the shipped programme, one scoring run (it earns and reviews tiers)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('loyalty') / 'demo.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        load_into_store(
            conn,
            generate(DemoConfig(customers=120, seed=3, end=END)),
            datetime(2026, 4, 1, tzinfo=UTC),
        )
        [(programme, source)] = programmes.read_all(PRESET)
        programmes.apply(conn, programme, source, datetime(2026, 4, 1, tzinfo=UTC))
    with engine.begin() as conn:
        run_scoring(conn, END, Settings())
    with engine.begin() as conn:
        users.create_user(conn, "Viewer", "viewer@loyalty.test", "viewer")
        users.set_password(conn, "viewer@loyalty.test", PASSWORD)
    return engine


@pytest.fixture
def client(store: Engine) -> TestClient:
    app = TestClient(create_app(store, Settings()))
    form = app.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    app.post(
        "/login",
        data={"email": "viewer@loyalty.test", "password": PASSWORD, "csrf": token[1], "next": "/"},
    )
    return app


def _one(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one() or 0)


def _tile(page: str, key: str) -> str:
    found = re.search(
        rf'data-value="{key}"><span class="label">[^<]*</span><span class="value">([^<]*)<', page
    )
    assert found is not None, key
    return found[1]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_loyalty_page_agrees_with_the_ledger(
    client: TestClient, store: Engine, lang: str
) -> None:
    page = client.get("/loyalty", params={"lang": lang}).text
    fmt = Formatter(lang, "USD")
    e = "FROM loyalty_entries"
    issued = _one(
        store, f"SELECT SUM(amount) {e} WHERE kind = 'earn' OR (kind = 'adjust' AND amount > 0)"
    )
    redeemed = -_one(store, f"SELECT SUM(amount) {e} WHERE kind = 'redeem'")
    expired = -_one(store, f"SELECT SUM(amount) {e} WHERE kind = 'expire'")
    outstanding = _one(store, f"SELECT SUM(amount) {e}")
    members = _one(store, "SELECT COUNT(*) FROM loyalty_accounts")
    assert issued > 0 and members > 0
    assert _tile(page, "members") == f"{members:,}"
    assert _tile(page, "issued") == f"{issued:,}"
    assert _tile(page, "redeemed") == f"{redeemed:,}"
    assert _tile(page, "expired") == f"{expired:,}"
    assert _tile(page, "outstanding") == f"{outstanding:,}"
    assert _tile(page, "liability") == fmt.money(outstanding / 100, 2)  # a point is 0.01
    assert _tile(page, "redemption_rate") == fmt.percent(redeemed / issued)
    assert _tile(page, "breakage") == fmt.percent(expired / issued)
    # the chart: issued per month from the ledger, summed in Python
    with store.connect() as conn:
        rows = conn.execute(text(f"SELECT occurred_at, kind, amount {e}")).all()
    by_month: dict[str, int] = {}
    for at, kind, amount in rows:
        if kind == "earn" or (kind == "adjust" and amount > 0):
            by_month[str(at)[:7]] = by_month.get(str(at)[:7], 0) + amount
    option = chart_option(page, "points")
    months = option["xAxis"]["data"]
    assert dict(zip(months, option["series"][0]["data"], strict=True)) == {
        m: by_month.get(m, 0) for m in months
    }
    assert sum(by_month.values()) == issued
    # members by tier: open memberships; the rest hold no tier
    with store.connect() as conn:
        held: dict[str, int] = dict(
            conn.execute(text(f"SELECT tier, COUNT(*) {OPEN} GROUP BY tier")).all()
        )
    for tier in ("silver", "gold", "diamond"):
        found = re.search(rf'data-tier="{tier}"><td class="left">[^<]*</td><td>([^<]*)<', page)
        assert found is not None and found[1] == f"{held.get(tier, 0):,}", tier
    none = re.search(r'data-tier=""><td class="left">[^<]*</td><td>([^<]*)<', page)
    assert none is not None and none[1] == f"{members - sum(held.values()):,}"
    # the top earner
    top = _one(
        store,
        f"SELECT a.customer_id {JOIN} WHERE e.kind = 'earn' GROUP BY a.customer_id "
        "ORDER BY SUM(e.amount) DESC, a.customer_id LIMIT 1",
    )
    first = re.search(r'<table id="top-earners">.*?data-customer="(\d+)"', page, re.S)
    assert first is not None and int(first[1]) == top
    if lang == "zh":
        assert "兑换率" in page and "会员积分" in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_referrals_and_the_review_list_agree_with_the_store(
    client: TestClient, store: Engine, lang: str
) -> None:
    from tenure.domains.audit.service import Actor
    from tenure.domains.customers import changes
    from tenure.domains.loyalty import referrals
    from tenure.domains.loyalty.service import book as load_book

    with store.begin() as conn:
        if not _one(store, "SELECT COUNT(*) FROM loyalty_referrals"):
            made = {
                name: changes.create_customer(
                    conn, Actor(None, "cli"), {"external_id": f"R-{name}", "email": email}
                )
                for name, email in (
                    ("ann", "ann.lee@ref.test"),
                    ("look", "ann.lee7@ref.test"),
                    ("bob", "bob@other.test"),
                )
            }
            book = load_book(conn, "stars")
            code = referrals.code_for(conn, book, made["ann"], datetime(2026, 4, 1, tzinfo=UTC))
            for friend in ("look", "bob"):
                referrals.refer(conn, book, code, made[friend], datetime(2026, 4, 2, tzinfo=UTC))
    page = client.get("/loyalty", params={"lang": lang}).text
    with store.connect() as conn:
        found = conn.execute(text("SELECT status, COUNT(*) FROM loyalty_referrals GROUP BY status"))
        counted = {str(status): int(n) for status, n in found}
    for status in ("waiting", "review", "rewarded", "rejected"):
        cell = re.search(rf'<td data-status="{status}">([^<]*)<', page)
        assert cell is not None and cell[1] == f"{counted.get(status, 0):,}", status
    rows = re.findall(r'<tr data-referral="(\d+)">(.*?)</tr>', page, re.S)
    assert len(rows) == counted["review"] == 1
    assert "R-ann" in rows[0][1] and "R-look" in rows[0][1]
    reason = "邮箱与推荐人相似" if lang == "zh" else "email like the referrer&#39;s"
    assert reason in rows[0][1]


def test_the_customer_card_shows_balance_tier_and_entries(
    client: TestClient, store: Engine
) -> None:
    who = _one(
        store,
        f"SELECT customer_id {OPEN} ORDER BY metric DESC, customer_id LIMIT 1",
    )
    total = _one(
        store,
        f"SELECT SUM(e.amount) {JOIN} WHERE a.customer_id = {who}",
    )
    with store.connect() as conn:
        tier = conn.execute(text(f"SELECT tier {OPEN} AND customer_id = {who}")).scalar_one()
    for lang, name in (
        ("en", {"silver": "Silver", "gold": "Gold", "diamond": "Diamond"}),
        ("zh", {"silver": "银卡", "gold": "金卡", "diamond": "钻石卡"}),
    ):
        page = client.get(f"/customers/{who}", params={"lang": lang}).text
        balance = re.search(r'data-loyalty="balance">([^<]*)<', page)
        assert balance is not None and balance[1] == f"{total:,}"
        assert f"<strong>{name[tier]}</strong>" in page
        assert page.count('data-ledger-entry="') == min(
            5,
            _one(
                store,
                f"SELECT COUNT(*) {JOIN} WHERE a.customer_id = {who}",
            ),
        )


def test_the_customer_card_lists_the_referrals_made(client: TestClient, store: Engine) -> None:
    from tenure.domains.audit.service import Actor
    from tenure.domains.customers import changes
    from tenure.domains.loyalty import referrals
    from tenure.domains.loyalty.service import book as load_book

    who = _one(store, f"SELECT customer_id {OPEN} ORDER BY metric DESC, customer_id LIMIT 1")
    with store.begin() as conn:
        book = load_book(conn, "stars")
        code = referrals.code_for(conn, book, who, datetime(2026, 4, 1, tzinfo=UTC))
        friend = changes.create_customer(
            conn, Actor(None, "cli"), {"external_id": "R-card-friend", "email": "pal@card.test"}
        )
        referrals.refer(conn, book, code, friend, datetime(2026, 4, 3, tzinfo=UTC))
    made = _one(store, f"SELECT COUNT(*) FROM loyalty_referrals WHERE referrer_id = {who}")
    for lang, waiting in (("en", "waiting for the first order"), ("zh", "等待首单")):
        page = client.get(f"/customers/{who}", params={"lang": lang}).text
        assert f"<code>{code}</code>" in page
        rows = re.findall(r'<tr data-referral="\d+">(.*?)</tr>', page, re.S)
        assert len(rows) == made >= 1
        assert any("R-card-friend" in r and waiting in r for r in rows)


@pytest.mark.browser
def test_the_pages_fit_a_phone(store: Engine) -> None:
    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import CHROMIUM_FLAGS
    from tests.web.test_phone_width import PHONE, SLACK, WIDEST

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing")
    who = _one(store, "SELECT customer_id FROM loyalty_accounts ORDER BY id LIMIT 1")
    quiet = Settings(worker=WorkerSettings(in_server=False))
    wide = {}
    with served(create_app(store, quiet)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
        page.goto(url + "/login")
        page.fill('input[name="email"]', "viewer@loyalty.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        for path in ("/loyalty", f"/customers/{who}"):
            for lang in ("en", "zh"):
                page.goto(f"{url}{path}?lang={lang}")
                page.wait_for_load_state("load")
                found = page.evaluate(WIDEST, SLACK)
                if found["scroll"] > found["screen"] + SLACK or found["past"]:
                    wide[(path, lang)] = found
        browser.close()
    assert not wide, wide
