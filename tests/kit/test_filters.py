"""The filter tree gives the same answer compiled for a frame and matched one record at a time."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.kit.errors import InvalidInput
from tenure.kit.filters import check, matches, to_polars

FIELDS = ("a", "b", "c")
values = st.one_of(st.none(), st.integers(-5, 5))
leaves = (
    st.builds(
        lambda field, op, value: {"field": field, "op": op, "value": value},
        st.sampled_from(FIELDS),
        st.sampled_from(["=", "!=", ">", ">=", "<", "<="]),
        st.integers(-5, 5),
    )
    | st.builds(
        lambda field, vs: {"field": field, "op": "in", "value": vs},
        st.sampled_from(FIELDS),
        st.lists(st.integers(-5, 5), max_size=3),
    )
    | st.builds(
        lambda field, op: {"field": field, "op": op},
        st.sampled_from(FIELDS),
        st.sampled_from(["is_null", "not_null"]),
    )
    | st.builds(
        lambda field: {"field": field, "op": ">", "value": {"param": "limit"}},
        st.sampled_from(FIELDS),
    )
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=8,
)
records = st.lists(st.fixed_dictionaries({f: values for f in FIELDS}), min_size=1, max_size=12)


@given(trees, records)
@settings(max_examples=300)
def test_bulk_and_single_record_agree(tree: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    params = {"limit": 1}
    frame = pl.DataFrame(rows, schema={f: pl.Int64 for f in FIELDS})
    bulk = frame.select(to_polars(tree, params).alias("hit"))["hit"].to_list()
    assert bulk == [matches(tree, row, params) for row in rows]


def test_errors_name_the_problem() -> None:
    with pytest.raises(InvalidInput, match="unknown operator 'like'"):
        to_polars({"field": "a", "op": "like", "value": 1})
    with pytest.raises(InvalidInput, match="unknown field 'z'"):
        to_polars({"field": "z", "op": "=", "value": 1}, fields={"a"})
    with pytest.raises(InvalidInput, match="parameter 'missing'"):
        matches({"field": "a", "op": ">", "value": {"param": "missing"}}, {"a": 1})


def test_a_yes_no_field_is_not_ordered() -> None:
    # {"email_consent" > false} reached the database and ended in a server error (fuzzed)
    with pytest.raises(InvalidInput, match="email_consent.*compares with = or != only, not '>'"):
        check({"field": "email_consent", "op": ">", "value": False}, {"email_consent": "bool"})
    check({"field": "email_consent", "op": "!=", "value": False}, {"email_consent": "bool"})
