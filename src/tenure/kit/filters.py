"""The filter tree: one JSON shape for segments, playbook conditions and stage rules.

    {"all": [node, ...]}   {"any": [node, ...]}   {"not": node}
    {"field": "days_since_last", "op": ">", "value": 90}
    {"field": "days_since_last", "op": ">", "value": {"param": "churn_after_days"}}

Operators: = != > >= < <= in not_in between is_null not_null. A comparison with a missing
(null) value is false, as in SQL. A tree compiles to a Polars expression and to a SQL
condition (bulk), and also matches a single record (a dict) in memory; all give the same
answer. Ordering comparisons of text follow the database's collation in SQL.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from tenure.kit.errors import InvalidInput

Tree = Mapping[str, Any]
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
OPERATORS = (*COMPARISONS, "in", "not_in", "between", "is_null", "not_null")


def _value(raw: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(raw, Mapping) and "param" in raw:
        name = raw["param"]
        if name not in params:
            raise InvalidInput(
                f"filter refers to parameter {name!r}, which is not set; "
                f"known: {', '.join(sorted(params)) or 'none'}"
            )
        return params[name]
    return raw


def _check_leaf(node: Tree, fields: set[str] | None) -> tuple[str, str]:
    field, op = node.get("field"), node.get("op")
    if not isinstance(field, str):
        raise InvalidInput(f"filter leaf {dict(node)!r} needs a 'field'")
    if op not in OPERATORS:
        raise InvalidInput(
            f"filter on {field!r}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}"
        )
    if fields is not None and field not in fields:
        raise InvalidInput(
            f"filter on unknown field {field!r}; fields: {', '.join(sorted(fields))}"
        )
    return field, op


def to_polars(
    tree: Tree, params: Mapping[str, Any] | None = None, fields: set[str] | None = None
) -> pl.Expr:
    """Compile ``tree`` to a boolean Polars expression (nulls count as false)."""
    params = params or {}
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        parts = [to_polars(child, params, fields) for child in tree[key]]
        if not parts:  # an empty all() holds, an empty any() does not; one value per row
            everyone = pl.int_range(pl.len()) >= 0
            return everyone if key == "all" else ~everyone
        return pl.all_horizontal(parts) if key == "all" else pl.any_horizontal(parts)
    if "not" in tree:
        return ~to_polars(tree["not"], params, fields)
    field, op = _check_leaf(tree, fields)
    col = pl.col(field)
    if op == "is_null":
        return col.is_null()
    if op == "not_null":
        return col.is_not_null()
    value = _value(tree.get("value"), params)
    if op == "in":
        expr = col.is_in(list(value))
    elif op == "not_in":
        expr = ~col.is_in(list(value))
    elif op == "between":
        low, high = (_value(v, params) for v in value)
        expr = (col >= low) & (col <= high)
    else:
        expr = COMPARISONS[op](col, value)
    return (expr & col.is_not_null()).fill_null(False)


def to_sql(
    tree: Tree,
    columns: Mapping[str, ColumnElement[Any]],
    params: Mapping[str, Any] | None = None,
) -> ColumnElement[bool]:
    """Compile ``tree`` to a SQL condition over ``columns`` (field name → column).

    Every leaf is ``column IS NOT NULL AND …``, so it is never NULL: a missing value is false,
    and ``not`` of it true — the same two-valued answer as ``matches`` and ``to_polars``.
    """
    params = params or {}
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        parts = [to_sql(child, columns, params) for child in tree[key]]
        if not parts:
            return true() if key == "all" else false()
        return and_(*parts) if key == "all" else or_(*parts)
    if "not" in tree:
        return not_(to_sql(tree["not"], columns, params))
    field, op = _check_leaf(tree, set(columns))
    col = columns[field]
    if op == "is_null":
        return col.is_(None)
    if op == "not_null":
        return col.is_not(None)
    value = _value(tree.get("value"), params)
    if op == "in":
        condition: ColumnElement[bool] = col.in_(list(value))
    elif op == "not_in":
        condition = col.not_in(list(value))
    elif op == "between":
        low, high = (_value(v, params) for v in value)
        condition = and_(col >= low, col <= high)
    else:
        condition = COMPARISONS[op](col, value)
    return and_(col.is_not(None), condition)


def matches(tree: Tree, record: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> bool:
    """Evaluate ``tree`` against one record (nulls count as false), as ``to_polars`` does."""
    params = params or {}
    if "all" in tree:
        return all(matches(child, record, params) for child in tree["all"])
    if "any" in tree:
        return any(matches(child, record, params) for child in tree["any"])
    if "not" in tree:
        return not matches(tree["not"], record, params)
    field, op = _check_leaf(tree, None)
    actual = record.get(field)
    if op == "is_null":
        return actual is None
    if op == "not_null":
        return actual is not None
    if actual is None:
        return False
    value = _value(tree.get("value"), params)
    if op == "in":
        return actual in list(value)
    if op == "not_in":
        return actual not in list(value)
    if op == "between":
        low, high = (_value(v, params) for v in value)
        return bool(low <= actual <= high)
    return bool(COMPARISONS[op](actual, value))
