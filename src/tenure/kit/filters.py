"""The filter tree: one JSON shape for segments, playbook conditions and stage rules.

    {"all": [node, ...]}   {"any": [node, ...]}   {"not": node}
    {"field": "days_since_last", "op": ">", "value": 90}
    {"field": "days_since_last", "op": ">", "value": {"param": "churn_after_days"}}

Operators: = != > >= < <= in not_in between is_null not_null. A comparison with a missing
(null) value is false, as in SQL. A tree is checked before it is used (``check``): nodes are
objects, at most ``MAX_DEPTH`` deep; ``in``/``not_in`` take a list, ``between`` two values, the
others one; a value is text, a number (a 64-bit integer or a finite float) or true/false, of the
kind its field holds when the columns are known; text holds no NUL character. A tree
compiles to a Polars expression and to a SQL condition (bulk), and also matches a single
record (a dict) in memory; all give the same answer. Ordering comparisons of text follow
the database's collation in SQL.

Two kinds of derived field reach beyond one column (SQL and single records only):

- a **set field** (``SetField``) holds a set of values per record: ``=`` v holds when v is in
  the set, ``!=`` v when it is not, ``in`` when any listed value is, ``not_in`` when none is,
  ``not_null`` when the set has a member and ``is_null`` when it is empty; no ordering;
- an **item field** (``ItemField``) holds a number per item: the leaf names the item,
  ``{"field": "offer_score", "item": "KIT-004", "op": ">=", "value": 0.2}``; without
  ``item`` it is the highest of them. A missing item is null (every comparison false).

In a record (``matches``) a set field is a ``frozenset`` and an item field a dict item → value.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, ColumnElement, SmallInteger, and_, false, not_, or_, true
from sqlalchemy.types import NullType

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
MAX_DEPTH = 20  # all/any/not levels; deeper trees are refused, not compiled
INT64 = (-(2**63), 2**63 - 1)  # what both stores compare without overflow
WHOLE = {"int16": 2**15, "int32": 2**31, "int64": 2**63}  # integer columns: -n ≤ value < n
SET_OPERATORS = ("=", "!=", "in", "not_in", "is_null", "not_null")
SET, ITEM = "set:", "item:"  # the kind of a set field's members, of an item field's values
MAX_ITEM = 128  # characters of an item's name


@dataclass(frozen=True)
class SetField:
    """A field holding a set of values per record (see the module's doc).

    ``having(values)`` is the SQL condition "the set holds one of ``values``" (None: "the set
    has a member"); ``kind`` is what the members are ("text", "number"…).
    """

    having: Callable[[list[Any] | None], ColumnElement[bool]]
    kind: str | None = "text"


@dataclass(frozen=True)
class ItemField:
    """A field holding a number per item (see the module's doc).

    ``value(item)`` is the SQL expression of the item's value (None: the highest).
    """

    value: Callable[[str | None], ColumnElement[Any]]
    kind: str | None = "number"


Field = ColumnElement[Any] | SetField | ItemField


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


def _kind(column: ColumnElement[Any]) -> str | None:
    """Return what a column holds: "number", "text", "bool", or None (not checked)."""
    if isinstance(column.type, NullType):  # a foreign key whose type comes from its target
        return "int32" if getattr(column, "foreign_keys", None) else None
    try:
        held = column.type.python_type
    except NotImplementedError:
        return None
    if issubclass(held, bool):
        return "bool"
    if issubclass(held, int):  # PostgreSQL casts the value to the column's integer type
        if isinstance(column.type, SmallInteger):
            return "int16"
        return "int64" if isinstance(column.type, BigInteger) else "int32"
    if issubclass(held, float | Decimal):
        return "number"
    return "text" if issubclass(held, str) else None


def kinds(columns: Mapping[str, Field]) -> dict[str, str | None]:
    """Return field → what its column holds, for ``check`` ("set:…"/"item:…" when derived)."""
    out: dict[str, str | None] = {}
    for name, column in columns.items():
        if isinstance(column, SetField):
            out[name] = SET + (column.kind or "")
        elif isinstance(column, ItemField):
            out[name] = ITEM + (column.kind or "")
        else:
            out[name] = _kind(column)
    return out


def _where(field: str | None) -> str:
    return f"filter on {field!r}" if field else "filter"


def _check_scalar(value: Any, field: str, kind: str | None) -> None:
    """Refuse a value that is not a scalar of the field's kind."""
    if isinstance(value, Mapping) and "param" in value:
        if not isinstance(value["param"], str):
            raise InvalidInput(f"{_where(field)}: a parameter is named by text")
        return
    if isinstance(value, bool):
        found = "bool"
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise InvalidInput(f"{_where(field)}: {value} is beyond a 64-bit integer")
        found = "number"
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{_where(field)}: the value must be a finite number")
        found = "number"
    elif isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(f"{_where(field)}: the value holds a NUL character")
        found = "text"
    else:
        raise InvalidInput(
            f"{_where(field)}: the value must be text, a number or true/false, "
            f"not {type(value).__name__ if value is not None else 'null'}"
        )
    if kind in WHOLE:
        if found != "number" or not isinstance(value, int):
            raise InvalidInput(f"{_where(field)}: the value must be a whole number, not {value!r}")
        if not -WHOLE[kind] <= value < WHOLE[kind]:
            raise InvalidInput(f"{_where(field)}: {value} is beyond what the field holds")
    elif kind is not None and found != kind:
        raise InvalidInput(f"{_where(field)}: the value must be {_KINDS[kind]}, not {value!r}")


_KINDS = {"number": "a number", "text": "text", "bool": "true or false"}


def _check_derived(node: Tree, field: str, op: str, kind: str | None) -> str | None:
    """Check what is particular to a set or item field; return its members' or values' kind."""
    item = node.get("item")
    if kind is not None and kind.startswith(ITEM):
        if item is not None and (
            not isinstance(item, str) or not item or len(item) > MAX_ITEM or "\x00" in item
        ):
            raise InvalidInput(f"{_where(field)}: 'item' names an item (1–{MAX_ITEM} characters)")
        return kind[len(ITEM) :] or None
    if item is not None and kind is not None:
        raise InvalidInput(f"{_where(field)}: only a per-item field takes an 'item'")
    if kind is not None and kind.startswith(SET):
        if op not in SET_OPERATORS:
            raise InvalidInput(
                f"{_where(field)}: a set compares with {', '.join(SET_OPERATORS)}, not {op!r}"
            )
        return kind[len(SET) :] or None
    return kind


def _check_value(node: Tree, field: str, op: str, kind: str | None) -> None:
    kind = _check_derived(node, field, op, kind)
    if op in ("is_null", "not_null"):
        return
    if "value" not in node:
        raise InvalidInput(f"{_where(field)}: operator {op!r} needs a 'value'")
    value = node["value"]
    if kind == "bool" and op not in ("=", "!=", "in", "not_in"):
        raise InvalidInput(
            f"{_where(field)}: a yes/no field compares with = or != only, not {op!r}"
        )
    if op in ("in", "not_in", "between"):
        if not isinstance(value, list):
            raise InvalidInput(f"{_where(field)}: operator {op!r} needs a list of values")
        if op == "between" and len(value) != 2:
            raise InvalidInput(
                f"{_where(field)}: 'between' needs two values [low, high], not {len(value)}"
            )
        for item in value:
            _check_scalar(item, field, kind)
        return
    _check_scalar(value, field, kind)


def check(tree: Any, kinds: Mapping[str, str | None] | None = None, depth: int = 0) -> None:
    """Refuse a malformed tree with an ``InvalidInput`` naming the field (see the module's doc).

    ``kinds`` (field → "int16", "int32", "int64", "number", "text", "bool" or None; see
    ``kinds``) also checks each value's kind and an integer's range.
    """
    if depth > MAX_DEPTH:
        raise InvalidInput(f"filter: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(tree, Mapping):
        raise InvalidInput(f"filter: each node must be an object, not {tree!r:.60}")
    for key in ("all", "any"):
        if key in tree:
            if not isinstance(tree[key], list):
                raise InvalidInput(f"filter: {key!r} needs a list of nodes")
            for child in tree[key]:
                check(child, kinds, depth + 1)
            return
    if "not" in tree:
        check(tree["not"], kinds, depth + 1)
        return
    field, op = _check_leaf(tree, set(kinds) if kinds is not None else None)
    _check_value(tree, field, op, kinds.get(field) if kinds is not None else None)


def to_polars(
    tree: Tree, params: Mapping[str, Any] | None = None, fields: set[str] | None = None
) -> pl.Expr:
    """Compile ``tree`` to a boolean Polars expression (nulls count as false)."""
    check(tree)
    return _polars(tree, params or {}, fields)


def _polars(tree: Tree, params: Mapping[str, Any], fields: set[str] | None) -> pl.Expr:
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        parts = [_polars(child, params, fields) for child in tree[key]]
        if not parts:  # an empty all() holds, an empty any() does not; one value per row
            everyone = pl.int_range(pl.len()) >= 0
            return everyone if key == "all" else ~everyone
        return pl.all_horizontal(parts) if key == "all" else pl.any_horizontal(parts)
    if "not" in tree:
        return ~_polars(tree["not"], params, fields)
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
    columns: Mapping[str, Field],
    params: Mapping[str, Any] | None = None,
) -> ColumnElement[bool]:
    """Compile ``tree`` to a SQL condition over ``columns`` (field name → column).

    Every leaf is ``column IS NOT NULL AND …``, so it is never NULL: a missing value is false,
    and ``not`` of it true — the same two-valued answer as ``matches`` and ``to_polars``.
    """
    check(tree, kinds(columns))
    return _sql(tree, columns, params or {})


def _sql(
    tree: Tree, columns: Mapping[str, Field], params: Mapping[str, Any]
) -> ColumnElement[bool]:
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        parts = [_sql(child, columns, params) for child in tree[key]]
        if not parts:
            return true() if key == "all" else false()
        return and_(*parts) if key == "all" else or_(*parts)
    if "not" in tree:
        return not_(_sql(tree["not"], columns, params))
    field, op = _check_leaf(tree, set(columns))
    found = columns[field]
    if isinstance(found, SetField):
        return _set_sql(found, op, _value(tree.get("value"), params))
    col = found.value(tree.get("item")) if isinstance(found, ItemField) else found
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


def _set_sql(found: SetField, op: str, value: Any) -> ColumnElement[bool]:
    """Compile a leaf on a set field: membership, never null."""
    if op in ("is_null", "not_null"):
        condition = found.having(None)
        return condition if op == "not_null" else not_(condition)
    values = list(value) if op in ("in", "not_in") else [value]
    condition = found.having(values) if values else false()
    return condition if op in ("=", "in") else not_(condition)


def _set_matches(actual: frozenset[Any] | set[Any], op: str, value: Any) -> bool:
    """Evaluate a leaf on a set field against one record's set."""
    if op in ("is_null", "not_null"):
        return bool(actual) == (op == "not_null")
    values = list(value) if op in ("in", "not_in") else [value]
    held = any(v in actual for v in values)
    return held if op in ("=", "in") else not held


def matches(tree: Tree, record: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> bool:
    """Evaluate ``tree`` against one record (nulls count as false), as ``to_polars`` does."""
    check(tree)
    return _matches(tree, record, params or {})


def _matches(tree: Tree, record: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    if "all" in tree:
        return all(_matches(child, record, params) for child in tree["all"])
    if "any" in tree:
        return any(_matches(child, record, params) for child in tree["any"])
    if "not" in tree:
        return not _matches(tree["not"], record, params)
    field, op = _check_leaf(tree, None)
    actual = record.get(field)
    if isinstance(actual, frozenset | set):
        return _set_matches(actual, op, _value(tree.get("value"), params))
    if isinstance(actual, Mapping):  # an item field: the item's value, or the highest
        item = tree.get("item")
        actual = actual.get(item) if item is not None else max(actual.values(), default=None)
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
