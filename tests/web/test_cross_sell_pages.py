"""The Cross-sell page and the 360's next-best-offer card, on a small planted store: every
figure against a count of our own, both languages, the CSV export and a dismissal."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tenure.domains.scoring.run import run_scoring
from tenure.domains.users import service as users
from tenure.domains.users.models import Role
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tenure.web.app import create_app
from tests.domains.crosssell.conftest import cross_sell_settings
from tests.domains.crosssell.store import AS_OF, planted_store
from tests.domains.crosssell.test_cross_sell import _expected_pairs
from tests.web.conftest import PASSWORD, chart_option, sign_in, table_rows

Store = tuple[Engine, list[tuple[int, int, str]]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("xweb") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        with Session(bind=conn) as session:
            bought = planted_store(session)
            session.flush()
        run_scoring(conn, AS_OF, cross_sell_settings())
        for role in (Role.ADMIN, Role.VIEWER, Role.SALES):
            email = f"{role.value}@web.test"
            users.create_user(conn, role.value.title(), email, role.value)
            users.set_password(conn, email, PASSWORD)
    yield engine, bought
    engine.dispose()


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app(store[0], cross_sell_settings()))


def _due(engine: Engine, level: str, a: str, b: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(DISTINCT customer_id) FROM customer_offers WHERE level = :l "
                    "AND from_item = :a AND item = :b AND source = 'sequence' AND due_on <= :d"
                ),
                {"l": level, "a": a, "b": b, "d": AS_OF},
            ).scalar_one()
        )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_shows_the_pairs_we_count_ourselves(
    client: TestClient, store: Store, lang: str
) -> None:
    engine, bought = store
    sign_in(client, "viewer")
    page = client.get("/cross-sell", params={"lang": lang})
    assert page.status_code == 200
    assert ("交叉销售" in page.text) == (lang == "zh")
    for level in ("product", "category"):
        mine = _expected_pairs(bought, level)
        rows = table_rows(page.text, f"pairs-{level}")
        assert len(rows) == min(len(mine), 15)
        strongest = sorted(mine.items(), key=lambda kv: -kv[1]["z"])
        assert [tuple(r[:2]) for r in rows] == [pair for pair, _ in strongest[:15]]
        for row in rows:
            f = mine[row[0], row[1]]
            assert row[2] == str(f["buyers_after"])
            assert row[3] == f"{round(100 * f['share'])}%"
            assert row[5] == f"{f['lag_median']:,.0f}"
            assert row[7] == f"{f['z']:.1f}"
            assert row[8].split()[0] == str(_due(engine, level, row[0], row[1]))
        lags = chart_option(page.text, f"lags-{level}")
        top = [f for _, f in strongest[:10]]
        assert lags["series"][2]["data"] == [round(f["lag_median"], 1) for f in top]
        assert lags["series"][1]["data"] == [round(f["lag_q3"] - f["lag_q1"], 1) for f in top]
        assert lags["xAxis"]["name"] == ("天" if lang == "zh" else "days")


def test_the_evaluation_is_the_runs_and_the_offer_is_compared_with_both_baselines(
    client: TestClient, store: Store
) -> None:
    engine, _ = store
    sign_in(client, "viewer")
    page = client.get("/cross-sell", params={"lang": "en"}).text
    with engine.connect() as conn:
        counts = conn.execute(text("SELECT counts FROM scoring_runs")).scalar_one()
    import json

    figures = (json.loads(counts) if isinstance(counts, str) else counts)["cross_sell"]
    for level in ("product", "category"):
        methods = figures["levels"][level]["evaluation"]["methods"]
        rows = table_rows(page, f"evaluation-{level}")
        assert [r[0] for r in rows] == ["Next best offer", "Most popular", "Sequence only"]
        for row, key in zip(rows, ("offer", "most_popular", "sequence_only"), strict=True):
            assert row[1:] == [
                f"{100 * methods[key][m]:.1f}%" for m in ("precision", "recall", "hit_rate")
            ]


def test_the_category_filter_and_the_csv_of_who_is_due(client: TestClient, store: Store) -> None:
    engine, bought = store
    sign_in(client, "viewer")
    page = client.get("/cross-sell", params={"category": "books"}).text
    rows = table_rows(page, "pairs-category")
    assert rows and all("books" in r[:2] for r in rows)
    answer = client.get(
        "/cross-sell/due.csv", params={"level": "product", "a": "COF-001", "b": "KIT-004"}
    )
    assert answer.status_code == 200
    got = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert len({r["customer_id"] for r in got}) == _due(engine, "product", "COF-001", "KIT-004")
    assert all(r["reason"].startswith("bought COF-001") for r in got)
    everyone = client.get("/cross-sell/due.csv").text.lstrip("\ufeff")
    with engine.connect() as conn:
        due = conn.execute(
            text("SELECT count(*) FROM customer_offers WHERE source = 'sequence' AND due_on <= :d"),
            {"d": AS_OF},
        ).scalar_one()
    assert len(list(csv.DictReader(io.StringIO(everyone)))) == due


def test_the_360_card_offers_with_reasons_and_a_dismissal_sticks(
    client: TestClient, store: Store
) -> None:
    engine, _ = store
    with engine.connect() as conn:
        customer, item = conn.execute(
            text(
                "SELECT customer_id, item FROM customer_offers WHERE source = 'sequence' "
                "AND level = 'product' ORDER BY customer_id LIMIT 1"
            )
        ).one()
    csrf = sign_in(client, "sales")
    page = client.get(f"/customers/{customer}", params={"lang": "zh"}).text
    card = page[page.index('id="offer-list"') :]
    assert f'data-item="{item}"' in card and "天前购买了" in card and "创建任务" in card
    page = client.get(f"/customers/{customer}", params={"lang": "en"}).text
    assert re.search(r"bought \S+ \d+ days ago; \d+% of", page)
    done = client.post(
        f"/customers/{customer}/offers/dismiss",
        data={"item": item, "csrf": csrf},
        follow_redirects=False,
    )
    try:
        assert done.status_code == 303
        page = client.get(f"/customers/{customer}").text
        assert f'data-item="{item}"' not in page
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM offer_dismissals")).scalar_one() == 1
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM offer_dismissals"))
    sign_in(client, "viewer")  # may read, may not dismiss
    refused = client.post(
        f"/customers/{customer}/offers/dismiss",
        data={"item": item, "csrf": csrf},
        follow_redirects=False,
    )
    assert refused.status_code in (403, 400)


def _due_customers(engine: Engine, level: str | None, item: str | None) -> set[int]:
    """Customers due now (for ``item`` at ``level``, or for anything): SQL of our own."""
    where = "source = 'sequence' AND due_on <= :d"
    if item is not None:
        where += " AND level = :l AND item = :i"
    with engine.connect() as conn:
        return {
            int(c)
            for c in conn.execute(
                text(f"SELECT DISTINCT customer_id FROM customer_offers WHERE {where}"),  # noqa: S608
                {"d": AS_OF, "l": level, "i": item},
            ).scalars()
        }


def _members(engine: Engine, name: str) -> set[int]:
    with engine.connect() as conn:
        return {
            int(c)
            for c in conn.execute(
                text(
                    "SELECT customer_id FROM segment_members m JOIN segments s "
                    "ON s.id = m.segment_id WHERE s.name = :n"
                ),
                {"n": name},
            ).scalars()
        }


@pytest.mark.parametrize("one_item", [True, False])
def test_the_customers_due_are_saved_as_a_segment(
    client: TestClient, store: Store, one_item: bool
) -> None:
    engine, _ = store
    with engine.connect() as conn:  # the item most customers are due for
        level, item = conn.execute(
            text(
                "SELECT level, item FROM customer_offers WHERE source = 'sequence' "
                "AND due_on <= :d GROUP BY level, item ORDER BY count(*) DESC, item LIMIT 1"
            ),
            {"d": AS_OF},
        ).one()
    due = f"{level}:{item}" if one_item else ""
    csrf = sign_in(client, "admin")
    page = client.get("/cross-sell").text
    assert 'id="due-segment"' in page and f'value="{level}:{item}"' in page
    name = f"due {due or 'any'}"
    done = client.post(
        "/cross-sell/segment", data={"name": name, "due": due, "csrf": csrf}, follow_redirects=False
    )
    try:
        assert done.status_code == 303
        assert done.headers["location"].startswith("/customers?segment=")
        expected = _due_customers(engine, *((level, item) if one_item else (None, None)))
        assert expected and _members(engine, name) == expected
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM segment_members"))
            conn.execute(text("DELETE FROM segments"))


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "x", "due": "aisle:KIT-004"}, "level"),
        ({"name": "  ", "due": ""}, "name"),
        ({"name": "x", "due": "product: "}, "item"),
    ],
)
def test_a_bad_segment_form_is_refused_naming_the_field(
    client: TestClient, form: dict[str, str], field: str
) -> None:
    csrf = sign_in(client, "admin")
    refused = client.post("/cross-sell/segment", data={**form, "csrf": csrf})
    assert 400 <= refused.status_code < 500
    assert field in refused.text


def test_a_viewer_may_not_save_a_segment(client: TestClient) -> None:
    csrf = sign_in(client, "viewer")
    page = client.get("/cross-sell").text
    assert 'id="due-segment"' not in page
    refused = client.post(
        "/cross-sell/segment", data={"name": "x", "due": "", "csrf": csrf}, follow_redirects=False
    )
    assert refused.status_code in (403, 400)


PLAYBOOK = """\
name: kit-offer
title: {en: Offer the kit, zh: 推荐套装}
trigger: {manual: true}
enrollment: {holdout: 0.0}
steps:
  - create_task: {title: {en: Offer the kit}}
"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_card_enrolls_the_customer_in_a_playbook_for_the_offer(
    client: TestClient, store: Store, lang: str
) -> None:
    from tenure.domains.audit.service import Actor
    from tenure.domains.automation import service as playbooks
    from tenure.domains.automation.loading import parse

    engine, _ = store
    with engine.begin() as conn:
        playbooks.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "kit-offer.yaml")])
        customer, item = conn.execute(
            text(
                "SELECT customer_id, item FROM customer_offers WHERE source = 'sequence' "
                "AND level = 'product' ORDER BY customer_id LIMIT 1"
            )
        ).one()
    try:
        csrf = sign_in(client, "admin")
        page = client.get(f"/customers/{customer}", params={"lang": lang}).text
        card = page[
            page.index('id="offer-list"') : page.index("</ul>", page.index('id="offer-list"'))
        ]
        assert 'class="inline offer-enroll"' in card and 'value="kit-offer"' in card
        assert ("加入剧本" if lang == "zh" else "Enroll in playbook") in card
        done = client.post(
            f"/customers/{customer}/playbooks",
            data={"playbook": "kit-offer", "offer": item, "csrf": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"].endswith("#offers")
        with engine.connect() as conn:
            enrolled = conn.execute(text("SELECT customer_id FROM enrollments")).scalars().all()
            audited = conn.execute(
                text(
                    "SELECT after FROM audit_log WHERE action = 'playbook.enroll' "
                    "ORDER BY id DESC LIMIT 1"
                )
            ).scalar_one()
        assert enrolled == [customer]
        import json

        after = json.loads(audited) if isinstance(audited, str) else audited
        assert after["offer"] == item and after["playbook"] == "kit-offer"
        # running in it now: the card offers no playbook to enroll in
        page = client.get(f"/customers/{customer}").text
        assert 'class="inline offer-enroll"' not in page
        again = client.post(
            f"/customers/{customer}/playbooks",
            data={"playbook": "kit-offer", "offer": item, "csrf": csrf},
        )
        assert again.status_code == 409
    finally:
        with engine.begin() as conn:
            for table in (
                "step_runs",
                "enrollments",
                "playbook_versions",
                "feed_cursors",
                "playbooks",
            ):
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_and_the_card_read_on_a_phone(store: Store, lang: str) -> None:
    import shutil

    from playwright.sync_api import sync_playwright

    from tests.conftest import served
    from tests.web.test_browser import CHROMIUM_FLAGS
    from tests.web.test_phone_width import PHONE, SLACK, WIDEST

    engine, _ = store
    executable = shutil.which("chromium")
    assert executable is not None, "Debian's chromium is missing"
    with engine.connect() as conn:
        customer = conn.execute(
            text("SELECT customer_id FROM customer_offers WHERE source = 'sequence' LIMIT 1")
        ).scalar_one()
    app = create_app(engine, cross_sell_settings())
    with served(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(url + "/login")
        page.fill('input[name="email"]', "admin@web.test")
        page.fill('input[name="password"]', PASSWORD)
        page.click('#login button[type="submit"]')
        page.wait_for_url(url + "/")
        wide = {}
        for path in ("/cross-sell", f"/customers/{customer}"):
            page.goto(f"{url}{path}?lang={lang}")
            page.wait_for_load_state("load")
            if path == "/cross-sell":  # the lag chart draws (ECharts is loaded and given data)
                page.wait_for_selector('#chart-lags-product[data-drawn="yes"]', timeout=15_000)
                assert page.locator("#chart-lags-product canvas").count() >= 1
            found = page.evaluate(WIDEST, SLACK)
            if found["scroll"] > found["screen"] + SLACK or found["past"]:
                wide[path] = found
        assert page.locator("#offer-list li").count() >= 1
        browser.close()
    assert not wide, wide
