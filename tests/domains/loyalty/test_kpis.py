"""The loyalty KPI report on the demo company (opt-in Stars), against an independent computation
from plain SQL, on both databases; and the report kept until the store changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from tenure.demo import loyalty as demo_loyalty
from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.loyalty import kpis, membership, service
from tenure.domains.scoring.run import run_scoring
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import Settings
from tests.analytics import loyalty_reference as ref
from tests.conftest import scratch_store

END = date(2026, 3, 31)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """400 demo customers, the demo's opt-in Stars (≈ 43 % of buyers join), two runs."""
    with scratch_store(request.param, request, tmp_path_factory.mktemp("kpis")) as engine:
        with engine.begin() as conn:
            load_into_store(
                conn,
                generate(DemoConfig(customers=400, seed=5, end=END)),
                datetime(2026, 4, 1, tzinfo=UTC),
            )
            key = demo_loyalty.apply_programme(conn, datetime(2026, 4, 1, tzinfo=UTC))
            demo_loyalty.join_some(conn, key, 5)
        for day in (END - timedelta(days=60), END):  # two tier reviews: some members move
            with engine.begin() as conn:
                run_scoring(conn, day, Settings())
        yield engine


def _sql(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _day(value: object) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC).date()


def test_the_report_agrees_with_plain_sql(store: Engine) -> None:
    with store.connect() as conn:
        book = service.book(conn, "stars")
        found = kpis.report(conn, book, as_of=END, months=12, today=END)
    assert found["enrolment"] == "opt_in"
    orders = [
        (int(c), _day(at), float(a))
        for c, at, a in _sql(
            store, "SELECT customer_id, ordered_at, amount FROM orders WHERE status = 'paid'"
        )
    ]
    joins = {
        int(c): _day(at)
        for c, at in _sql(store, "SELECT customer_id, joined_at FROM loyalty_accounts")
    }
    buyers = {c for c, _, _ in orders}
    assert 0.33 < len(joins) / len(buyers) < 0.53  # about 43 % of the buyers joined
    clv = {
        int(c): float(v)
        for c, v in _sql(
            store,
            "SELECT customer_id, clv FROM score_history WHERE clv IS NOT NULL AND run_id = "
            "(SELECT max(id) FROM scoring_runs WHERE status = 'done')",
        )
    }
    rows = ref.rows(orders, joins, END, None, clv)
    matched = found["matched"]
    assert matched["members"] == len(joins)
    # non-members: the buyers who had bought by the middle of some month in which members joined
    seen = {r["customer_id"] for r in rows if not r["member"]}
    assert matched["non_members"] == len(seen) and seen <= buyers - set(joins)
    for got in matched["comparisons"]:
        want = ref.compare(rows, got["outcome"])
        assert want is not None
        assert got["members"] == want["members"]
        assert got["member_mean"] == pytest.approx(want["member_mean"], abs=1e-6)
        assert got["comparison_mean"] == pytest.approx(want["comparison_mean"], abs=1e-6)
        low, high = got["difference_ci"]
        assert (high - low) / 2 == pytest.approx(1.959964 * want["difference_se"], rel=1e-5)
    # the joiners were chosen among the better customers: they outbuy comparable non-members
    spend = next(c for c in matched["comparisons"] if c["outcome"] == "spend_since")
    assert spend["difference"] > 0
    # tier migration: every member counted once, by their memberships on both days
    migration = found["migration"]
    start = date.fromisoformat(migration["start"])
    held = _sql(
        store, "SELECT customer_id, tier, entered_on, ended_on FROM loyalty_tier_memberships"
    )

    def tier_on(day: date) -> dict[int, str]:
        out = {}
        for c, tier, entered, ended in held:
            entered = date.fromisoformat(str(entered)[:10])
            ended = None if ended is None else date.fromisoformat(str(ended)[:10])
            if entered <= day and (ended is None or ended > day):
                out[int(c)] = str(tier)
        return out

    before, after = tier_on(start), tier_on(END)
    pairs = Counter((before.get(c), after.get(c)) for c in joins)
    columns = migration["columns"]
    assert columns == [None, "silver", "gold", "diamond"]
    for row in migration["rows"]:
        assert row["counts"] == [pairs[(row["start"], end)] for end in columns]
    assert sum(r["total"] for r in migration["rows"]) == len(joins)


def test_the_report_is_kept_until_the_store_changes(store: Engine) -> None:
    with store.connect() as conn:
        book = service.book(conn, "stars")
        first = kpis.report(conn, book, as_of=END, today=END)
        assert kpis.report(conn, book, as_of=END, today=END) is first  # kept
        with pytest.raises(InvalidInput, match="as_of"):
            kpis.report(conn, book, as_of=END + timedelta(days=1), today=END)
        with pytest.raises(InvalidInput, match="months"):
            kpis.report(conn, book, as_of=END, months=0, today=END)
    with store.connect() as conn:
        outsider = _sql(
            store,
            "SELECT min(id) FROM customers "
            "WHERE id NOT IN (SELECT customer_id FROM loyalty_accounts)",
        )[0][0]
        trans = conn.begin()
        membership.join(conn, book, int(str(outsider)), datetime(2026, 3, 1, tzinfo=UTC))
        again = kpis.report(conn, book, as_of=END, today=END)
        trans.rollback()
    assert again is not first  # a new member: computed again
    assert again["matched"]["members"] == first["matched"]["members"] + 1
