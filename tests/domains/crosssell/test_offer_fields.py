"""The offers in filter trees (due_for, due_for_category, offer_score, category_offer_score) on
both databases: segments in SQL, one customer in memory, and a count of our own agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, text

from tenure.domains.audit.service import Actor
from tenure.domains.automation.definition import Playbook
from tenure.domains.crosssell import service as cross_sell
from tenure.domains.segments import fields
from tenure.domains.segments import service as segments
from tenure.kit.errors import InvalidInput
from tenure.kit.timeutil import utcnow
from tests.domains.crosssell.conftest import Purchases
from tests.domains.crosssell.store import AS_OF

ACTOR = Actor(None, "api")


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


def _everyone(conn: Connection) -> set[int]:
    return {int(i) for i in conn.execute(text("SELECT id FROM customers")).scalars()}


def _due(conn: Connection, level: str, items: list[str]) -> set[int]:
    """Customers due now for one of ``items``: counted with SQL of our own."""
    found = set()
    for item in items:
        found |= {
            int(i)
            for i in conn.execute(
                text(
                    "SELECT customer_id FROM customer_offers o WHERE level = :l AND item = :i "
                    "AND source = 'sequence' AND due_on <= :d AND NOT EXISTS (SELECT 1 FROM "
                    "offer_dismissals x WHERE x.customer_id = o.customer_id AND x.item = o.item "
                    "AND x.until > :now)"
                ),
                {"l": level, "i": item, "d": AS_OF, "now": utcnow()},
            ).scalars()
        }
    return found


def _scores(conn: Connection, level: str) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for customer, item, score in conn.execute(
        text("SELECT customer_id, item, score FROM customer_offers WHERE level = :l"),
        {"l": level},
    ):
        out.setdefault(int(customer), {})[item] = float(score)
    return out


def _segment(conn: Connection, tree: dict[str, Any]) -> set[int]:
    made = segments.create(conn, "offer test", tree, actor=ACTOR)
    members = set(segments.member_ids(conn, made["name"]))
    # the same tree on each customer in memory gives the same answer
    for customer in _everyone(conn):
        assert segments.customer_matches(conn, "offer test", customer) == (customer in members)
    segments.delete_segment(conn, "offer test", actor=ACTOR)
    return members


def _due_items(conn: Connection, level: str) -> list[str]:
    return list(
        conn.execute(
            text(
                "SELECT DISTINCT item FROM customer_offers WHERE level = :l "
                "AND source = 'sequence' AND due_on <= :d ORDER BY item"
            ),
            {"l": level, "d": AS_OF},
        ).scalars()
    )


@pytest.mark.parametrize(
    ("field", "level"), [("due_for", "product"), ("due_for_category", "category")]
)
def test_due_for_is_a_set_of_the_items_due_now(conn: Connection, field: str, level: str) -> None:
    # the planted store has customers due for KIT-004; none is due for a category yet
    items = _due_items(conn, level) or ["books", "kitchen"]
    assert (level == "product") == bool(_due_items(conn, level))
    first = items[0]
    due_first = _due(conn, level, [first])
    assert _segment(conn, {"field": field, "op": "=", "value": first}) == due_first
    assert _segment(conn, {"field": field, "op": "!=", "value": first}) == (
        _everyone(conn) - due_first
    )
    assert _segment(conn, {"field": field, "op": "in", "value": items}) == _due(conn, level, items)
    assert _segment(conn, {"field": field, "op": "not_in", "value": items}) == (
        _everyone(conn) - _due(conn, level, items)
    )
    assert _segment(conn, {"field": field, "op": "not_null"}) == _due(conn, level, items)
    assert _segment(conn, {"field": field, "op": "in", "value": []}) == set()


def test_a_dismissal_takes_the_customer_out_of_due_for_at_once(conn: Connection) -> None:
    item = _due_items(conn, "product")[0]
    before = _due(conn, "product", [item])
    customer = min(before)
    cross_sell.dismiss(conn, ACTOR, customer, item, utcnow())
    after = _segment(conn, {"field": "due_for", "op": "=", "value": item})
    assert after == before - {customer}
    record = fields.record(conn, customer)
    assert record is not None and item not in record["due_for"]


@pytest.mark.parametrize(
    ("field", "level"), [("offer_score", "product"), ("category_offer_score", "category")]
)
def test_offer_score_is_the_stored_score_of_an_item(
    conn: Connection, field: str, level: str
) -> None:
    scores = _scores(conn, level)
    item = max(
        {i for s in scores.values() for i in s},
        key=lambda i: sum(i in s for s in scores.values()),
    )
    values = sorted(s[item] for s in scores.values() if item in s)
    cut = values[len(values) // 2]
    tree = {"field": field, "item": item, "op": ">=", "value": cut}
    assert _segment(conn, tree) == {c for c, s in scores.items() if s.get(item, -1) >= cut}
    best = {"field": field, "op": ">", "value": cut}  # without an item: the best offer's score
    assert _segment(conn, best) == {c for c, s in scores.items() if max(s.values()) > cut}
    missing = {"field": field, "item": item, "op": "is_null"}
    assert _segment(conn, missing) == _everyone(conn) - {c for c, s in scores.items() if item in s}


@pytest.mark.parametrize(
    ("tree", "words"),
    [
        ({"field": "due_for", "op": ">", "value": "KIT-004"}, "a set compares with"),
        ({"field": "due_for", "op": "=", "value": 3}, "must be text"),
        ({"field": "offer_score", "item": "", "op": ">", "value": 0.1}, "'item' names an item"),
        ({"field": "offer_score", "item": "KIT", "op": ">", "value": "x"}, "must be a number"),
        ({"field": "clv", "item": "KIT-004", "op": ">", "value": 1}, "only a per-item field"),
    ],
)
def test_a_bad_leaf_is_refused_naming_the_field(
    conn: Connection, tree: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        segments.create(conn, "bad", tree, actor=ACTOR)
    assert repr(tree["field"]) in str(refused.value)


def test_a_playbook_condition_may_name_the_propensity() -> None:
    condition = {
        "all": [
            {"field": "offer_score", "item": "KIT-004", "op": ">=", "value": 0.2},
            {"field": "due_for", "op": "=", "value": "KIT-004"},
        ]
    }
    playbook = Playbook.model_validate(
        {
            "name": "kit-offer",
            "title": {"en": "Kit offer"},
            "trigger": [{"cross_sell_due": {"item": "KIT-004"}}],
            "conditions": condition,
            "steps": [{"id": "wait", "wait": {"days": 1}}],
        }
    )
    assert playbook.conditions == condition
    between = {"field": "due_for", "op": "between", "value": ["a", "b"]}
    with pytest.raises(ValueError, match="a set compares with"):
        Playbook.model_validate(
            {
                "name": "kit-offer",
                "title": {"en": "Kit offer"},
                "trigger": [{"cross_sell_due": {"item": "KIT-004"}}],
                "conditions": between,
                "steps": [{"id": "wait", "wait": {"days": 1}}],
            }
        )
