"""The Loyalty page's KPIs on the demo's opt-in Stars: the matched comparison with its intervals
and the caveat, and the tier migration, against an independent computation; both languages,
screenshots at desktop and phone width."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tenure.demo import loyalty as demo_loyalty
from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.kit.settings import Settings, WorkerSettings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tenure.web.i18n import Formatter
from tests.analytics import loyalty_reference as ref
from tests.conftest import served
from tests.web.conftest import END, PASSWORD, chart_option

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """400 demo customers, the demo's opt-in Stars (about 43 % of buyers joined), two runs."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kpis') / 'demo.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        load_into_store(
            conn,
            generate(DemoConfig(customers=400, seed=5, end=END)),
            datetime(2026, 4, 1, tzinfo=UTC),
        )
        key = demo_loyalty.apply_programme(conn, datetime(2026, 4, 1, tzinfo=UTC))
        demo_loyalty.join_some(conn, key, 5)
    for day in (END - timedelta(days=60), END):
        with engine.begin() as conn:
            run_scoring(conn, day, Settings())
    with engine.begin() as conn:
        users.create_user(conn, "Viewer", "viewer@kpis.test", "viewer")
        users.set_password(conn, "viewer@kpis.test", PASSWORD)
    return engine


@pytest.fixture
def client(store: Engine) -> TestClient:
    app = TestClient(create_app(store, Settings()))
    form = app.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    app.post(
        "/login",
        data={"email": "viewer@kpis.test", "password": PASSWORD, "csrf": token[1], "next": "/"},
    )
    return app


def _rows(store: Engine, sql: str) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _day(value: object) -> date:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(at, datetime)
    return at.astimezone(UTC).date()


def _cells(page: str, table: str, attribute: str, key: str) -> list[str]:
    body = re.search(rf'<table id="{table}"[^>]*>.*?</table>', page, re.S)
    assert body is not None, table
    row = re.search(rf'<tr {attribute}="{key}">(.*?)</tr>', body[0], re.S)
    assert row is not None, (table, key)
    return [
        re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    ]  # type: ignore[misc]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_kpis_agree_with_an_independent_computation(
    client: TestClient, store: Engine, lang: str
) -> None:
    page = client.get("/loyalty", params={"lang": lang, "as_of": END.isoformat()}).text
    fmt = Formatter(lang, "USD")
    caveat = (
        "可比非会员 — 并非因果效应"
        if lang == "zh"
        else "comparable non-members — not a causal effect"
    )
    assert caveat in page
    orders = [
        (int(str(c)), _day(at), float(str(a)))
        for c, at, a in _rows(
            store, "SELECT customer_id, ordered_at, amount FROM orders WHERE status = 'paid'"
        )
    ]
    joins = {
        int(str(c)): _day(at)
        for c, at in _rows(store, "SELECT customer_id, joined_at FROM loyalty_accounts")
    }
    clv = {
        int(str(c)): float(str(v))
        for c, v in _rows(
            store,
            "SELECT customer_id, clv FROM score_history WHERE clv IS NOT NULL AND run_id = "
            "(SELECT max(id) FROM scoring_runs WHERE status = 'done')",
        )
    }
    rows = ref.rows(orders, joins, END, None, clv)
    for outcome in ("repurchase_90d", "spend_since", "predicted_clv"):
        want = ref.compare(rows, outcome)
        assert want is not None
        show = fmt.percent if outcome == "repurchase_90d" else (lambda v: fmt.money(v, 2))
        cells = _cells(page, "kpi-comparison", "data-outcome", outcome)
        # a difference of rates in percentage points ("+3.5 percentage points"), not "3.5%"
        pct = outcome == "repurchase_90d"
        difference = f"{want['difference'] * 100:+.1f}" if pct else show(want["difference"])
        means = [c[0] for c in cells[1:]]
        assert means == [show(want["member_mean"]), show(want["comparison_mean"]), difference]
        unit = "个百分点" if lang == "zh" else "percentage points"
        assert (unit in " ".join(cells[3])) == pct, outcome
    # the charts: the means drawn, each with an interval around it
    spend = ref.compare(rows, "spend_since")
    assert spend is not None
    option = chart_option(page, "kpi_spend")
    drawn = option["series"][0]["data"]
    assert drawn == pytest.approx([spend["member_mean"], spend["comparison_mean"]], abs=1e-4)
    for mean, (low, high, _, _) in zip(drawn, option["series"][1]["data"], strict=True):
        assert low < mean < high
    # the migration: members by tier on the period's first and last day
    start = datetime.strptime(
        re.search(r"data-period-start=\"([0-9-]+)\"", page)[1],
        "%Y-%m-%d",  # type: ignore[index]
    ).date()
    held = _rows(
        store, "SELECT customer_id, tier, entered_on, ended_on FROM loyalty_tier_memberships"
    )

    def tier_on(day: date) -> dict[int, str]:
        found = {}
        for c, tier, entered, ended in held:
            if date.fromisoformat(str(entered)[:10]) <= day and (
                ended is None or date.fromisoformat(str(ended)[:10]) > day
            ):
                found[int(str(c))] = str(tier)
        return found

    before, after = tier_on(start), tier_on(END)
    pairs = Counter((before.get(c), after.get(c)) for c in joins)
    for tier in (None, "silver", "gold", "diamond"):
        cells = _cells(page, "tier-migration", "data-from", tier or "")
        counts = [c[0] for c in cells[1:-1]]
        assert counts == [
            fmt.number(pairs[(tier, end)]) for end in (None, "silver", "gold", "diamond")
        ], tier


@pytest.mark.browser
def test_screenshots_in_both_languages_and_at_a_phones_width(store: Engine) -> None:
    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import CHROMIUM_FLAGS
    from tests.web.test_phone_width import PHONE, SLACK, WIDEST

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing")
    SHOTS.mkdir(parents=True, exist_ok=True)
    quiet = Settings(worker=WorkerSettings(in_server=False))
    wide = {}
    with served(create_app(store, quiet)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
            page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
            page.goto(url + "/login")
            page.fill('input[name="email"]', "viewer@kpis.test")
            page.fill('input[name="password"]', PASSWORD)
            page.click('#login button[type="submit"]')
            page.wait_for_url(url + "/")
            for lang in ("en", "zh"):
                page.goto(f"{url}/loyalty?lang={lang}&as_of={END.isoformat()}")
                page.wait_for_load_state("load")
                page.wait_for_selector("#chart-kpi_spend canvas")
                assert page.locator("#caveat").is_visible()
                found = page.evaluate(WIDEST, SLACK)
                if found["scroll"] > found["screen"] + SLACK or found["past"]:
                    wide[(name, lang)] = found
                page.locator("#kpis").screenshot(
                    path=str(SHOTS / f"loyalty-kpis-{name}-{lang}.png")
                )
            page.close()
        browser.close()
    assert not wide, wide
