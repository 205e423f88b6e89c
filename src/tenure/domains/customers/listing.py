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
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute

from tenure.domains.customers.models import Customer
from tenure.domains.customers.reach import Owners, owned
from tenure.domains.scoring import views
from tenure.domains.segments import fields
from tenure.domains.segments.models import Segment, SegmentMember
from tenure.kit.errors import InvalidInput
from tenure.kit.filters import to_sql
from tenure.kit.ids import MAX_ID
from tenure.storage.rows import plain_rows

SORTS = ("id", "-clv", "-churn_risk", "-lead_score")
_LISTED: tuple[InstrumentedAttribute[Any], ...] = (
    Customer.external_id,
    Customer.name,
    Customer.email,
    Customer.company,
    Customer.acquisition_channel,
    Customer.owner_id,
    Customer.tags,
)
LISTED = tuple(column.key for column in _LISTED)
LISTED_SCORES = (
    "clv",
    "p_alive",
    "churn_risk",
    "health_score",
    "rfm_segment",
    "lead_score",
    "lead_band",
)


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
    owners: Owners = None  # whose customers the caller reaches (None: all; [access])


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search(q: str) -> ColumnElement[bool]:
    """Match the id or email exactly, or every word somewhere in the name or the company.

    Word by word, so that "kim lena" finds Lena Kim as well as Kim Lena.
    """
    words = [
        or_(
            Customer.name.ilike(_like(w), escape="\\"),
            Customer.company.ilike(_like(w), escape="\\"),
        )
        for w in q.split()
    ]
    return or_(
        Customer.external_id == q,
        func.lower(Customer.email) == q.lower(),
        and_(*words) if words else false(),
    )


def _has_tag(conn: Connection, tag: str) -> ColumnElement[bool]:
    if conn.dialect.name == "postgresql":
        return type_coerce(Customer.tags, JSONB).contains([tag])  # JSONB @>
    each = func.json_each(Customer.tags).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == tag))


def _in_segment(name: str) -> ColumnElement[bool]:
    return Customer.id.in_(
        select(SegmentMember.customer_id)
        .join(Segment, Segment.id == SegmentMember.segment_id)
        .where(Segment.name == name)
    )


def _id(text: str) -> int:
    number = int(text)
    if not 0 <= number <= MAX_ID:
        raise ValueError(text)
    return number


def _after(sort: str, cursor: str) -> ColumnElement[bool]:
    try:
        if sort == "id":
            return Customer.id > _id(cursor)
        value, _, last = cursor.rpartition("|")
        score = views.customer_scores.c[sort[1:]]
        return or_(score < float(value), and_(score == float(value), Customer.id < _id(last)))
    except ValueError:
        raise InvalidInput(f"after: {cursor!r} is not a cursor this list gave out") from None


def _narrowed(conn: Connection, statement: Any, query: ListQuery) -> Any:
    """Add the query's filters (tree, search, tag, segment) to ``statement``."""
    for name in ("q", "tag", "segment"):  # SQLite's LIKE stops at NUL: it would match everyone
        if "\x00" in (getattr(query, name) or ""):
            raise InvalidInput(f"{name}: holds a NUL character (\\0)")
    if query.owners is not None:
        statement = statement.where(owned(query.owners))
    if query.tree:
        statement = statement.where(to_sql(query.tree, fields.filterable()))
    if query.q:
        statement = statement.where(_search(query.q.strip()))
    if query.tag:
        statement = statement.where(_has_tag(conn, query.tag))
    if query.segment:
        statement = statement.where(_in_segment(query.segment))
    return statement


COUNT_CAP = 10_000  # counting beyond this costs a scan of the store per page view


def count(conn: Connection, query: ListQuery) -> tuple[int, bool]:
    """Count the customers the query finds, up to COUNT_CAP; say whether there are more."""
    statement = _narrowed(conn, fields.view(Customer.id), query)
    if query.sort != "id":  # a list sorted by a score leaves out who has none
        statement = statement.where(views.customer_scores.c[query.sort[1:]].is_not(None))
    found = statement.limit(COUNT_CAP + 1).subquery()
    n = int(conn.execute(select(func.count()).select_from(found)).scalar_one())
    return min(n, COUNT_CAP), n > COUNT_CAP


def listing(conn: Connection, query: ListQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of customers with stage and key scores, and the next page's cursor."""
    if query.sort not in SORTS:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)}, not {query.sort!r}")
    scores = views.customer_scores
    statement = fields.view(
        Customer.id,
        *_LISTED,
        views.customer_stages.c.stage,
        *(scores.c[c] for c in LISTED_SCORES),
    ).limit(query.limit + 1)  # one more tells whether a next page exists
    statement = _narrowed(conn, statement, query)
    if query.sort == "id":
        statement = statement.order_by(Customer.id)
    else:
        score = scores.c[query.sort[1:]]
        statement = statement.where(score.is_not(None)).order_by(score.desc(), Customer.id.desc())
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


def acquisition_channels(conn: Connection) -> list[str]:
    """Return the acquisition channels customers came through, sorted (the list's filter)."""
    found = conn.execute(
        select(Customer.acquisition_channel)
        .distinct()
        .where(Customer.acquisition_channel.is_not(None))
    ).scalars()
    return sorted(str(v) for v in found)
