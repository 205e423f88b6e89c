"""The customer list: filter (a filter tree, search, tag, segment), sort, and keyset pages.

A page ends with a cursor (the last row's sort value and id) instead of an offset: page 1,000
of a million customers costs what page 1 costs, and rows added meanwhile never shift a page.
Sorting by a score reads the current run's history through its (run_id, score) index; rows
without that score are left out of such a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from tenure.domains.registry import metadata
from tenure.domains.scoring import views
from tenure.domains.segments import fields
from tenure.kit.errors import InvalidInput
from tenure.kit.filters import to_sql
from tenure.kit.ids import MAX_ID
from tenure.storage.rows import plain_rows

SORTS = ("id", "-clv", "-churn_risk")
LISTED = ("external_id", "name", "email", "company", "acquisition_channel", "owner_id", "tags")
LISTED_SCORES = ("clv", "p_alive", "churn_risk", "health_score", "rfm_segment")


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: which customers, in what order, from which cursor."""

    tree: dict[str, Any] | None = None  # a segment's filter tree over segments.fields
    q: str | None = None  # external id, email, or part of the name or company
    tag: str | None = None
    segment: str | None = None  # a saved segment's name
    sort: str = "id"
    after: str | None = None
    limit: int = 50


def _search(q: str) -> ColumnElement[bool]:
    customers = metadata().tables["customers"]
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        customers.c.external_id == q,
        func.lower(customers.c.email) == q.lower(),
        customers.c.name.ilike(like, escape="\\"),
        customers.c.company.ilike(like, escape="\\"),
    )


def _has_tag(conn: Connection, tag: str) -> ColumnElement[bool]:
    customers = metadata().tables["customers"]
    if conn.dialect.name == "postgresql":
        return type_coerce(customers.c.tags, JSONB).contains([tag])  # JSONB @>
    each = func.json_each(customers.c.tags).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == tag))


def _in_segment(name: str) -> ColumnElement[bool]:
    t = metadata().tables
    segments, members = t["segments"], t["segment_members"]
    return t["customers"].c.id.in_(
        select(members.c.customer_id)
        .join(segments, segments.c.id == members.c.segment_id)
        .where(segments.c.name == name)
    )


def _id(text: str) -> int:
    number = int(text)
    if not 0 <= number <= MAX_ID:
        raise ValueError(text)
    return number


def _after(sort: str, cursor: str) -> ColumnElement[bool]:
    customers = metadata().tables["customers"]
    try:
        if sort == "id":
            return customers.c.id > _id(cursor)
        value, _, last = cursor.rpartition("|")
        score = views.customer_scores.c[sort[1:]]
        return or_(score < float(value), and_(score == float(value), customers.c.id < _id(last)))
    except ValueError:
        raise InvalidInput(f"after: {cursor!r} is not a cursor this list gave out") from None


def listing(conn: Connection, query: ListQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of customers with stage and key scores, and the next page's cursor."""
    if query.sort not in SORTS:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)}, not {query.sort!r}")
    customers = metadata().tables["customers"]
    scores = views.customer_scores
    statement = fields.view(
        customers.c.id,
        *(customers.c[c] for c in LISTED),
        views.customer_stages.c.stage,
        *(scores.c[c] for c in LISTED_SCORES),
    ).limit(query.limit + 1)  # one more tells whether a next page exists
    if query.tree:
        statement = statement.where(to_sql(query.tree, fields.columns()))
    if query.q:
        statement = statement.where(_search(query.q.strip()))
    if query.tag:
        statement = statement.where(_has_tag(conn, query.tag))
    if query.segment:
        statement = statement.where(_in_segment(query.segment))
    if query.sort == "id":
        statement = statement.order_by(customers.c.id)
    else:
        score = scores.c[query.sort[1:]]
        statement = statement.where(score.is_not(None)).order_by(
            score.desc(), customers.c.id.desc()
        )
    if query.after:
        statement = statement.where(_after(query.sort, query.after))
    rows = plain_rows(conn.execute(statement).mappings())
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if not more:
        return rows, None
    last = rows[-1]
    cursor = str(last["id"]) if query.sort == "id" else f"{last[query.sort[1:]]!r}|{last['id']}"
    return rows, cursor
