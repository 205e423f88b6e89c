"""Create, refresh, list and delete segments; test one customer against a segment."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update

from tenure.domains.audit import service as audit
from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.segments import fields
from tenure.domains.segments.models import Segment, SegmentMember
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tenure.kit.filters import matches, to_sql
from tenure.kit.timeutil import utcnow
from tenure.storage.rows import plain_row, plain_rows


def parse_filter(text: str) -> dict[str, Any]:
    """Read a filter tree from JSON text and check every field and operator in it."""
    try:
        tree = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"filter is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except RecursionError:
        raise InvalidInput("filter: nested too deeply") from None
    if not isinstance(tree, dict):
        raise InvalidInput(
            'filter must be a JSON object, e.g. {"field": "clv", "op": ">", "value": 500}'
        )
    to_sql(tree, fields.filterable())  # raises InvalidInput naming the unknown field or operator
    return tree


def create(
    conn: Connection,
    name: str,
    tree: dict[str, Any],
    description: str | None = None,
    *,
    actor: audit.Actor,
) -> dict[str, Any]:
    """Save a segment and fill it; refuses a name already taken."""
    to_sql(tree, fields.filterable())
    if conn.execute(select(Segment.id).where(Segment.name == name)).first() is not None:
        raise Conflict(f"a segment named {name!r} exists; delete it first or choose another name")
    now = utcnow()
    segment_id = conn.execute(
        insert(Segment)
        .values(
            name=name,
            description=description,
            filter=tree,
            members=0,
            created_at=now,
            updated_at=now,
        )
        .returning(Segment.id)
    ).scalar_one()
    members = refresh(conn, int(segment_id))
    audit.record(
        conn,
        actor,
        "segment.create",
        "segments",
        segment_id,
        after={"name": name, "filter": tree, "description": description, "members": members},
    )
    return get(conn, name)


def get(conn: Connection, name: str) -> dict[str, Any]:
    """Return a segment by name."""
    row = conn.execute(select(Segment.__table__).where(Segment.name == name)).mappings().first()
    if row is None:
        known = conn.execute(select(Segment.name).order_by(Segment.name)).scalars().all()
        raise NotFound(f"no segment named {name!r}; segments: {', '.join(known) or 'none yet'}")
    return plain_row(row)


def list_all(conn: Connection) -> list[dict[str, Any]]:
    """Return every segment with its member count at the last refresh."""
    rows = conn.execute(select(Segment.__table__).order_by(Segment.name)).mappings().all()
    return plain_rows(rows)


def delete_segment(conn: Connection, name: str, *, actor: audit.Actor) -> None:
    """Delete a segment and its memberships."""
    old = get(conn, name)
    segment_id = old["id"]
    audit.record(
        conn,
        actor,
        "segment.delete",
        "segments",
        segment_id,
        before={"name": name, "filter": old["filter"], "description": old["description"]},
    )
    conn.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment_id))
    conn.execute(delete(Segment).where(Segment.id == segment_id))


def _members(conn: Connection, segment_id: int) -> set[int]:
    return {
        int(i)
        for i in conn.execute(
            select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)
        ).scalars()
    }


def refresh(conn: Connection, segment_id: int, *, publish: EventSource | None = None) -> int:
    """Recompute a segment's members in SQL from its filter; return how many there are.

    With ``publish``, who entered and who left since the last refresh become
    ``segment_changed`` events in the feed (playbooks' segment triggers read them).
    """
    tree, name = conn.execute(
        select(Segment.filter, Segment.name).where(Segment.id == segment_id)
    ).one()
    before = _members(conn, segment_id) if publish is not None else set()
    cols = fields.filterable()
    conn.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment_id))
    chosen = fields.view(literal(segment_id).label("segment_id"), fields.customer_id()).where(
        to_sql(tree, cols)
    )
    conn.execute(insert(SegmentMember).from_select(["segment_id", "customer_id"], chosen))
    count = conn.execute(
        select(func.count())
        .select_from(SegmentMember)
        .where(SegmentMember.segment_id == segment_id)
    ).scalar_one()
    now = utcnow()
    conn.execute(
        update(Segment).where(Segment.id == segment_id).values(members=count, refreshed_at=now)
    )
    if publish is not None:
        after = _members(conn, segment_id)
        feed.append(conn, publish, _changes(segment_id, name, before, after, now))
    return int(count)


def _changes(
    segment_id: int, name: str, before: set[int], after: set[int], now: datetime
) -> list[feed.NewEvent]:
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    return [
        feed.NewEvent(
            key=f"segment:{segment_id}:{change}:{customer_id}:{stamp}",
            customer_id=customer_id,
            type=SystemEventType.SEGMENT_CHANGED,
            occurred_at=now,
            properties={"segment": name, "change": change},
        )
        for change, ids in (("entered", after - before), ("left", before - after))
        for customer_id in sorted(ids)
    ]


def refresh_all(conn: Connection) -> dict[str, int]:
    """Refresh every segment (a scoring run calls this after it updates the current scores)."""
    rows = conn.execute(select(Segment.id, Segment.name)).all()
    return {
        name: refresh(conn, int(segment_id), publish=EventSource.RUN) for segment_id, name in rows
    }


def member_ids(conn: Connection, name: str) -> list[int]:
    """Return the ids of a segment's members, in order."""
    segment = get(conn, name)
    return [
        int(i)
        for i in conn.execute(
            select(SegmentMember.customer_id)
            .where(SegmentMember.segment_id == segment["id"])
            .order_by(SegmentMember.customer_id)
        ).scalars()
    ]


def customer_matches(conn: Connection, name: str, customer_id: int) -> bool:
    """Test one customer against a segment's filter in memory, on their current fields."""
    segment = get(conn, name)
    record = fields.record(conn, customer_id)
    if record is None:
        raise NotFound(f"no customer with id {customer_id}")
    return matches(segment["filter"], record)
