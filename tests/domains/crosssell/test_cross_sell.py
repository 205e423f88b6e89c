"""Cross-sell in the scoring run on both databases: every stored figure against a count of our
own, offers with their reasons, the due lists and dismissals."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select, text

from tenure.domains.audit.models import AuditEntry
from tenure.domains.audit.service import Actor
from tenure.domains.crosssell import service
from tenure.domains.crosssell.models import CustomerOffer
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.settings import CrossSellSettings
from tenure.kit.timeutil import utcnow
from tests.domains.crosssell.conftest import Purchases
from tests.domains.crosssell.store import AS_OF, PRODUCTS, START

Scored = tuple[Engine, Purchases]
AS_OF_OFFSET = (AS_OF - START.date()).days


def _firsts(bought: Purchases, level: str) -> dict[int, dict[str, int]]:
    """Each customer's first day of each item, of what was bought by the run's day."""
    firsts: dict[int, dict[str, int]] = defaultdict(dict)
    for customer, day, product in bought:
        if day > AS_OF_OFFSET:
            continue
        item = product if level == "product" else PRODUCTS[product]
        firsts[customer][item] = min(day, firsts[customer].get(item, day))
    return firsts


def _expected_pairs(bought: Purchases, level: str) -> dict[tuple[str, str], dict[str, float]]:
    """Every pair's figures, counted customer by customer (no DuckDB, no polars)."""
    firsts = _firsts(bought, level)
    buyers: dict[str, int] = defaultdict(int)
    for items in firsts.values():
        for item in items:
            buyers[item] += 1
    purchases = sum(buyers.values())
    lags: dict[tuple[str, str], list[int]] = defaultdict(list)
    for items in firsts.values():
        for a, day_a in items.items():
            for b, day_b in items.items():
                if day_b > day_a:
                    lags[a, b].append(day_b - day_a)
    found = {}
    for (a, b), pair_lags in lags.items():
        if len(pair_lags) < 5:
            continue
        p_b = buyers[b] / (purchases - buyers[a])
        expected = sum(
            1 - (1 - p_b) ** sum(1 for d in items.values() if d > items[a])
            for items in firsts.values()
            if a in items
        )
        share = len(pair_lags) / buyers[a]
        found[a, b] = {
            "buyers_after": len(pair_lags),
            "share": share,
            "lag_median": statistics.median(pair_lags),
            "lag_q1": float(np.percentile(pair_lags, 25)),
            "lag_q3": float(np.percentile(pair_lags, 75)),
            "lift": share / (buyers[b] / len(firsts)),
            "expected": expected,
            "z": (len(pair_lags) - expected) / expected**0.5,
        }
    return found


@pytest.mark.parametrize("level", ["product", "category"])
def test_every_stored_pair_matches_a_count_of_our_own(scored: Scored, level: str) -> None:
    engine, bought = scored
    with engine.connect() as conn:
        stored = service.pairs(conn, level=level, limit=500)
    mine = _expected_pairs(bought, level)
    assert {(p["a"], p["b"]) for p in stored["items"]} == set(mine)
    assert stored["total"] == len(mine)
    for pair in stored["items"]:
        for name, value in mine[pair["a"], pair["b"]].items():
            assert pair[name] == pytest.approx(value, rel=1e-9), (pair["a"], pair["b"], name)
    # the planted sequences are the strongest two, with their lags
    lags = {(p["a"], p["b"]): p["lag_median"] for p in stored["items"][:2]}
    planted = {
        "product": {("BTY-003", "BOK-010"): (70, 73), ("COF-001", "KIT-004"): (40, 46)},
        "category": {("beauty", "books"): (70, 73), ("coffee", "kitchen"): (40, 46)},
    }[level]
    assert set(lags) == set(planted)
    assert all(planted[pair][0] <= lag <= planted[pair][1] for pair, lag in lags.items())


def test_pairs_filter_by_category_and_share_and_refuse_a_bad_level(scored: Scored) -> None:
    engine, bought = scored
    mine = _expected_pairs(bought, "product")
    with engine.connect() as conn:
        kitchen = service.pairs(conn, category="kitchen", min_share=0.5, limit=500)
        with pytest.raises(InvalidInput, match="level"):
            service.pairs(conn, level="brand")
        with pytest.raises(InvalidInput, match="min_share"):
            service.pairs(conn, min_share=2)
    want = {
        (a, b)
        for (a, b), f in mine.items()
        if "kitchen" in (PRODUCTS[a], PRODUCTS[b]) and f["share"] >= 0.5
    }
    cats = _expected_pairs(bought, "category")
    want |= {(a, b) for (a, b), f in cats.items() if "kitchen" in (a, b) and f["share"] >= 0.5}
    assert {(p["a"], p["b"]) for p in kitchen["items"]} == want


def test_offers_leave_out_what_was_bought_and_say_why(scored: Scored) -> None:
    engine, bought = scored
    firsts = _firsts(bought, "product")
    with engine.connect() as conn:
        rows = conn.execute(
            select(CustomerOffer.customer_id, CustomerOffer.item).where(
                CustomerOffer.level == "product"
            )
        ).all()
        assert rows
        for customer, item in rows:  # no product here repeats, so none is offered again
            assert item not in firsts[customer], (customer, item)
        # a customer offered an item for a sequence
        customer, b = conn.execute(
            select(CustomerOffer.customer_id, CustomerOffer.item)
            .where(CustomerOffer.level == "product", CustomerOffer.source == "sequence")
            .order_by(CustomerOffer.customer_id, CustomerOffer.item)
            .limit(1)
        ).one()
        assert b not in firsts[customer]
        en = service.customer_offers(conn, customer, utcnow(), "en")["offers"]
        zh = service.customer_offers(conn, customer, utcnow(), "zh")["offers"]
        pairs = service.pairs(conn, level="product", limit=500)["items"]
    offer = next(o for o in en if o["item"] == b)
    a = offer["from_item"]  # the strongest of the customer's pairs leading to b
    assert a in firsts[customer]
    scores = [o["score"] for o in en if o["level"] == "product"]
    assert scores == sorted(scores, reverse=True)
    pair = next(p for p in pairs if (p["a"], p["b"]) == (a, b))
    days = AS_OF_OFFSET - firsts[customer][a]
    median = round(pair["lag_median"])
    if pair["share_within"] is not None:
        share = round(100 * pair["share_within"])
        en_words = f"{share}% of {a} buyers buy {b} within 90 days, median {median} days"
        zh_words = f"{a} 的买家中有 {share}% 在 90 天内购买 {b}，中位间隔 {median} 天"
    else:  # no A buyer is 90 days old yet: the share of all A buyers who bought B later
        share = round(100 * pair["share"])
        en_words = f"{share}% of {a} buyers later buy {b}, median {median} days"
        zh_words = f"{a} 的买家中有 {share}% 之后购买 {b}，中位间隔 {median} 天"
    assert offer["reason"] == f"bought {a} {days} days ago; {en_words}"
    offer_zh = next(o for o in zh if o["item"] == b)
    assert offer_zh["reason"] == f"{days} 天前购买了 {a}；{zh_words}"
    assert offer["due_on"] == max(
        START.date() + timedelta(days=firsts[customer][a] + round(pair["lag_median"])), AS_OF
    )


def _due_rows(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        return [
            (r[0], r[1], r[2])
            for r in conn.execute(
                text(
                    "SELECT customer_id, from_item, item FROM customer_offers "
                    "WHERE source = 'sequence' AND due_on <= :d"
                ),
                {"d": AS_OF},
            )
        ]


def test_due_without_a_pair_lists_every_pair_a_page_at_a_time(scored: Scored) -> None:
    engine, _ = scored
    due = _due_rows(engine)
    assert due
    seen: list[tuple[int, str, str]] = []
    with engine.connect() as conn:
        offset = 0
        while True:
            page = service.due(conn, utcnow(), limit=7, offset=offset)
            assert page["total"] == len(due)
            seen += [(r["customer_id"], r["from_item"], r["item"]) for r in page["items"]]
            if len(page["items"]) < 7:
                break
            offset += 7
        a, b = "COF-001", "KIT-004"
        pair = service.due(conn, utcnow(), a=a, b=b, limit=500)
        count = service.report(conn, utcnow())
    assert sorted(seen) == sorted(due)
    assert sorted((r["customer_id"], a, b) for r in pair["items"]) == sorted(
        r for r in due if r[1:] == (a, b)
    )
    assert count is not None
    for level, figures in count["levels"].items():
        with engine.connect() as conn:
            customers = conn.execute(
                text(
                    "SELECT count(DISTINCT customer_id) FROM customer_offers WHERE level = :l "
                    "AND source = 'sequence' AND due_on <= :d"
                ),
                {"l": level, "d": AS_OF},
            ).scalar_one()
        assert figures["due_now"] == customers


def test_a_dismissed_offer_stays_away_for_30_days_and_is_recorded(scored: Scored) -> None:
    engine, _ = scored
    customer, _, item = _due_rows(engine)[0]
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            now = utcnow()
            before = service.due(conn, now, limit=500)["total"]
            done = service.dismiss(conn, Actor(None, "api"), customer, item, now)
            assert done["until"] == now + timedelta(days=30)
            offers = service.customer_offers(conn, customer, now)["offers"]
            assert item not in [o["item"] for o in offers]
            hidden = _rows_of(conn, customer).count(item)  # the due rows it hides
            assert service.due(conn, now, limit=500)["total"] == before - hidden
            later = now + timedelta(days=31)
            assert item in [
                o["item"] for o in service.customer_offers(conn, customer, later)["offers"]
            ]
            logged = conn.execute(
                select(AuditEntry.action).where(AuditEntry.entity_id == str(customer))
            ).scalars()
            assert "offer.dismiss" in list(logged)
            with pytest.raises(NotFound):
                service.dismiss(conn, Actor(None, "api"), 987654, item, now)
            with pytest.raises(InvalidInput, match="item"):
                service.dismiss(conn, Actor(None, "api"), customer, "  ", now)
        finally:
            transaction.rollback()


def _rows_of(conn: Connection, customer: int) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            text(
                "SELECT item FROM customer_offers WHERE customer_id = :c "
                "AND source = 'sequence' AND due_on <= :d"
            ),
            {"c": customer, "d": AS_OF},
        )
    ]


def test_the_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError, match="levels"):
        CrossSellSettings(levels=["brand"])
    with pytest.raises(ValidationError, match="levels"):
        CrossSellSettings(levels=[])
    with pytest.raises(ValidationError, match="min_support"):
        CrossSellSettings(min_support=1)
    with pytest.raises(ValidationError, match="k"):
        CrossSellSettings(k=0)
    assert CrossSellSettings(levels=["category", "category"]).levels == ["category"]


def test_demo_check_reports_a_planted_sequence_found_with_its_lag(scored: Scored) -> None:
    import polars as pl

    from tenure.demo.check import planted_sequences
    from tenure.demo.config import DemoConfig
    from tenure.demo.truth import Truth

    engine, bought = scored
    truth = Truth(
        pl.DataFrame(),
        DemoConfig(customers=100),
        (
            {"level": "product", "a": "COF-001", "b": "KIT-004", "customers": 24, "lag_days": 43},
            {"level": "product", "a": "KIT-004", "b": "COF-001", "customers": 5, "lag_days": 9},
        ),
    )
    mine = _expected_pairs(bought, "product")
    ranked = sorted(mine, key=lambda pair: -mine[pair]["z"])
    with engine.connect() as conn:
        run_id = conn.execute(text("SELECT max(id) FROM scoring_runs")).scalar_one()
        found, missing = planted_sequences(conn, truth, run_id)
    assert found["found"] and found["rank"] == ranked.index(("COF-001", "KIT-004")) + 1
    assert found["found_lag_median"] == mine["COF-001", "KIT-004"]["lag_median"]
    assert found["planted_lag_days"] == 43
    assert not missing["found"] and missing["rank"] is None
