"""User-defined segments: SQL over every customer and one customer in memory agree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, insert

from tenure.domains.audit import service as audit
from tenure.domains.registry import metadata
from tenure.domains.segments import fields, service
from tenure.kit.errors import Conflict, InvalidInput, NotFound

NOW = datetime(2026, 6, 30, tzinfo=UTC)
CHANNELS = ["referral", "social", "search_ads", None]
STAGES = ["new", "growing", "declining", None]


def _people(conn: Connection) -> None:
    """Twelve customers with a spread of attributes, stages and scores (some missing)."""
    t = metadata().tables
    run = conn.execute(
        insert(t["scoring_runs"])
        .values(
            as_of=date(2026, 6, 30),
            status="done",
            preset="ecommerce",
            config_hash="x",
            data_fingerprint="y",
            started_at=NOW,
        )
        .returning(t["scoring_runs"].c.id)
    ).scalar_one()
    for i in range(1, 13):
        conn.execute(
            insert(t["customers"]).values(
                id=i,
                external_id=f"c{i}",
                name=f"c{i}",
                acquisition_channel=CHANNELS[i % 4],
                email_consent=i % 3 == 0,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        stage = STAGES[i % 4]
        if stage is not None:
            conn.execute(
                insert(t["stage_history"]).values(
                    customer_id=i,
                    run_id=run,
                    stage=stage,
                    since=date(2026, 6, 1),
                    rule="r",
                )
            )
        if i % 5:
            conn.execute(
                insert(t["score_history"]).values(
                    customer_id=i,
                    run_id=run,
                    clv=float(i * 50) if i % 2 else None,
                    churn_risk=i / 12,
                    r_score=1 + i % 5,
                )
            )


FIELDS = {
    "clv": st.sampled_from([0.0, 100.0, 250.0, 400.0, 1000.0]),
    "churn_risk": st.sampled_from([0.1, 0.25, 0.5, 0.9]),
    "r_score": st.integers(1, 5),
    "customer_id": st.integers(0, 13),
}
TEXT = {"acquisition_channel": CHANNELS[:3], "stage": STAGES[:3]}


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    numeric = st.sampled_from(sorted(FIELDS)).flatmap(
        lambda f: st.one_of(
            st.tuples(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]), FIELDS[f]).map(
                lambda p, f=f: {"field": f, "op": p[0], "value": p[1]}
            ),
            st.tuples(FIELDS[f], FIELDS[f]).map(
                lambda p, f=f: {"field": f, "op": "between", "value": sorted(p)}
            ),
            st.sampled_from(["is_null", "not_null"]).map(lambda op, f=f: {"field": f, "op": op}),
        )
    )
    text = st.sampled_from(sorted(TEXT)).flatmap(
        lambda f: st.one_of(
            st.tuples(st.sampled_from(["=", "!="]), st.sampled_from(TEXT[f])).map(
                lambda p, f=f: {"field": f, "op": p[0], "value": p[1]}
            ),
            st.tuples(
                st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(TEXT[f]), max_size=2)
            ).map(lambda p, f=f: {"field": f, "op": p[0], "value": p[1]}),
        )
    )
    consent = st.booleans().map(lambda b: {"field": "email_consent", "op": "=", "value": b})
    return st.one_of(numeric, text, consent)


TREES = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda c: {"all": c}),
        st.lists(children, max_size=3).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=TREES)
def test_sql_and_memory_pick_the_same_customers(conn: Connection, tree: dict[str, Any]) -> None:
    if not getattr(conn, "_people", False):
        _people(conn)
        conn._people = True  # type: ignore[attr-defined]
    from tenure.kit.filters import matches, to_sql

    cols = fields.columns()
    by_sql = set(conn.execute(fields.view(cols["customer_id"]).where(to_sql(tree, cols))).scalars())
    in_memory = {i for i in range(1, 13) if matches(tree, fields.record(conn, i) or {})}
    assert by_sql == in_memory, tree


def test_create_refresh_list_and_delete(conn: Connection) -> None:
    _people(conn)
    tree = {
        "all": [
            {"field": "clv", "op": ">=", "value": 250},
            {"field": "stage", "op": "!=", "value": "declining"},
        ]
    }
    made = service.create(
        conn, "big spenders", tree, "CLV of 250 or more, not declining", actor=audit.SYSTEM
    )
    # clv is i × 50 for odd i not divisible by 5: 7, 9 and 11 have 250 or more; 7 is declining,
    # and 11 has no stage at all — a missing value fails every comparison, != included
    assert service.member_ids(conn, "big spenders") == [9]
    assert made["members"] == 1 and made["filter"] == tree
    assert service.customer_matches(conn, "big spenders", 9) is True
    assert service.customer_matches(conn, "big spenders", 7) is False
    assert [s["name"] for s in service.list_all(conn)] == ["big spenders"]
    with pytest.raises(Conflict):
        service.create(conn, "big spenders", tree, actor=audit.SYSTEM)
    service.delete_segment(conn, "big spenders", actor=audit.SYSTEM)
    with pytest.raises(NotFound, match="none yet"):
        service.get(conn, "big spenders")


def test_a_bad_filter_says_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match="line 1, column"):
        service.parse_filter('{"field": "clv", "op": ">" 5}')
    with pytest.raises(InvalidInput, match="unknown field 'lifetime'"):
        service.parse_filter('{"field": "lifetime", "op": ">", "value": 5}')
    with pytest.raises(InvalidInput, match="unknown operator '~'"):
        service.parse_filter('{"field": "clv", "op": "~", "value": 5}')
