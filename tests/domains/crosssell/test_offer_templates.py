"""Email templates read the customer's offers (``offer``, ``offers``) on both databases: the
rendered text against the stored offers, in English and 中文, with dismissals respected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from tenure.domains.audit.service import Actor
from tenure.domains.crosssell import service as cross_sell
from tenure.domains.messaging.service import preview
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tests.domains.crosssell.conftest import Purchases
from tests.domains.crosssell.store import AS_OF

TEXT = (
    "{% if offer %}{{ offer.name }}|{{ offer.level }}|{{ offer.due }}|{{ offer.reason }}"
    "{% else %}none{% endif %}|{% for o in offers %}{{ o.name }},{% endfor %}"
)


@pytest.fixture
def conn(scored: tuple[Any, Purchases]) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back."""
    engine, _ = scored
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose templates folder holds the template ``offer-test`` in both languages."""
    for lang in ("en", "zh"):
        (tmp_path / f"offer-test.{lang}.subject.liquid").write_text("{{ offer.name }}")
        (tmp_path / f"offer-test.{lang}.txt.liquid").write_text(TEXT)
        (tmp_path / f"offer-test.{lang}.html.liquid").write_text("<p>{{ offer.reason }}</p>")
    made = Settings()
    made.messaging.templates_dir = tmp_path
    return made


def _offers(conn: Connection, customer: int) -> list[dict[str, Any]]:
    """The customer's stored offers, product first, by rank: read with SQL of our own."""
    rows = conn.execute(
        text(
            "SELECT level, rank, item, from_item, from_on, share, share_within, lag_median, "
            "due_on, source FROM customer_offers WHERE customer_id = :c "
            "ORDER BY CASE level WHEN 'product' THEN 0 ELSE 1 END, rank"
        ),
        {"c": customer},
    ).mappings()
    return [dict(r) for r in rows]


def _words(offer: dict[str, Any], lang: str) -> str:
    """The reason of a sequence offer, written out as docs/cross-sell.md says."""
    from datetime import date

    since = offer["from_on"]
    since = date.fromisoformat(since) if isinstance(since, str) else since
    days, share = (AS_OF - since).days, round(100 * offer["share_within"])
    a, b, median = offer["from_item"], offer["item"], round(offer["lag_median"])
    if lang == "zh":
        return (
            f"{days} 天前购买了 {a}；{a} 的买家中有 {share}% 在 90 天内购买 {b}，"
            f"中位间隔 {median} 天"
        )
    return (
        f"bought {a} {days} days ago; {share}% of {a} buyers buy {b} within 90 days, "
        f"median {median} days"
    )


def _sequence_customer(conn: Connection) -> int:
    """A customer whose top offer comes from a sequence with a share within the window."""
    return int(
        conn.execute(
            text(
                "SELECT customer_id FROM customer_offers WHERE level = 'product' AND rank = 1 "
                "AND source = 'sequence' AND share_within IS NOT NULL ORDER BY customer_id LIMIT 1"
            )
        ).scalar_one()
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_template_names_the_top_offer_with_its_reason(
    conn: Connection, settings: Settings, lang: str
) -> None:
    customer = _sequence_customer(conn)
    stored = _offers(conn, customer)
    top = stored[0]
    rendered = preview(conn, "offer-test", customer, lang=lang, settings=settings)
    assert rendered.subject == top["item"]
    name, level, due, reason, listed = rendered.text.split("|")
    assert (name, level) == (top["item"], "product")
    assert due == str(top["due_on"])[:10]
    assert reason == _words(top, lang)
    assert listed == "".join(f"{o['item']}," for o in stored)
    assert rendered.html == f"<p>{_words(top, lang)}</p>".replace("'", "&#39;")


def test_a_dismissed_offer_gives_way_and_no_offer_renders_empty(
    conn: Connection, settings: Settings
) -> None:
    customer = _sequence_customer(conn)
    stored = _offers(conn, customer)
    cross_sell.dismiss(conn, Actor(None, "api"), customer, stored[0]["item"], utcnow())
    rendered = preview(conn, "offer-test", customer, lang="en", settings=settings)
    assert rendered.text.split("|")[0] == stored[1]["item"]
    nobody = conn.execute(
        text(
            "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM customer_offers) "
            "ORDER BY id LIMIT 1"
        )
    ).scalar_one()
    assert preview(conn, "offer-test", nobody, lang="en", settings=settings).text == "none|"
