"""Who enters a playbook: triggers, conditions, suppression, re-enrollment and holdout.

Set-based, a batch of the feed's events at a time.

Each playbook reads the feed through its own cursor (``playbook:<name>``), created when the
playbook is first published: it reacts to what happens from then on. A paused playbook moves
its cursor without enrolling, so resuming it does not flood anyone with a backlog. Enrolling
and moving the cursor commit together: an event enrolls a customer once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update

from tenure.domains.automation import repository as repo
from tenure.domains.automation import triggers
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.models import (
    Enrollment,
    EnrollmentStatus,
    PlaybookStatus,
    PlaybookVersion,
)
from tenure.domains.events import feed
from tenure.domains.segments import fields
from tenure.domains.segments.models import Segment, SegmentMember
from tenure.kit import filters
from tenure.kit.errors import Conflict, InvalidInput

CHUNK = 900  # ids per IN (…): under every database's limit on bound values


@dataclass(frozen=True)
class Version:
    """A playbook's current published version, ready to run."""

    playbook_id: int
    name: str
    version: int
    status: str
    playbook: Playbook
    # the share of all customers in the global control group (settings: automation)
    global_control: float = 0.0

    @property
    def consumer(self) -> str:
        """The name of this playbook's cursor on the feed."""
        return consumer(self.name)


def consumer(name: str) -> str:
    """Return the feed cursor's name of the playbook ``name``."""
    return f"playbook:{name}"


def current_versions(conn: Connection, global_control: float = 0.0) -> list[Version]:
    """Return every playbook's current version, parsed, with the global control's share."""
    return [
        Version(
            p.id,
            p.name,
            p.version,
            p.status,
            Playbook.model_validate(p.definition),
            global_control,
        )
        for p in repo.all_published(conn)
    ]


def version_of(conn: Connection, playbook_id: int, version: int) -> Playbook:
    """Return one published version of a playbook, parsed."""
    definition = conn.execute(
        select(PlaybookVersion.definition).where(
            PlaybookVersion.playbook_id == playbook_id, PlaybookVersion.version == version
        )
    ).scalar_one()
    return Playbook.model_validate(definition)


def in_holdout(name: str, customer_id: int, share: float) -> bool:
    """Return whether a customer is held out of a playbook: a stable draw, not a coin per run.

    The same customer lands on the same side every time they enter the same playbook, so
    re-enrollments do not leak treatment into the holdout.
    """
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{name}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def in_global_control(customer_id: int, share: float) -> bool:
    """Return whether a customer belongs to the global control group: no marketing playbook.

    A stable draw from the customer alone, the same in every playbook; raising the share
    keeps every member and adds some, lowering it lets some go.
    """
    if share <= 0:
        return False
    digest = hashlib.sha256(f"global-control:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def _meeting_conditions(conn: Connection, tree: dict[str, Any], ids: list[int]) -> set[int]:
    condition = filters.to_sql(tree, fields.filterable())
    who = fields.customer_id()
    kept: set[int] = set()
    for chunk in _chunks(ids):
        statement = fields.view(who).where(condition, who.in_(chunk))
        kept |= {int(i) for i in conn.execute(statement).scalars()}
    return kept


def _suppressed(conn: Connection, segment: str, ids: list[int]) -> set[int]:
    gone: set[int] = set()
    for chunk in _chunks(ids):
        gone |= {
            int(i)
            for i in conn.execute(
                select(SegmentMember.customer_id)
                .join(Segment, Segment.id == SegmentMember.segment_id)
                .where(Segment.name == segment, SegmentMember.customer_id.in_(chunk))
            ).scalars()
        }
    return gone


def _not_again(conn: Connection, version: Version, ids: list[int], now: datetime) -> set[int]:
    """Return the customers the re-enrollment policy keeps out (enrolled now, or lately)."""
    again = version.playbook.enrollment.again_after_days
    out: set[int] = set()
    for chunk in _chunks(ids):
        rows = conn.execute(
            select(
                Enrollment.customer_id,
                func.max(Enrollment.enrolled_at),
                func.sum(case((Enrollment.status == EnrollmentStatus.ACTIVE.value, 1), else_=0)),
            )
            .where(Enrollment.playbook_id == version.playbook_id, Enrollment.customer_id.in_(chunk))
            .group_by(Enrollment.customer_id)
        ).all()
        for customer_id, last, active in rows:
            too_soon = again is None or (last is not None and last > now - timedelta(days=again))
            if active or too_soon:
                out.add(int(customer_id))
    return out


def admit(
    conn: Connection,
    version: Version,
    candidates: Mapping[int, tuple[str, int | None]],
    now: datetime,
) -> list[int]:
    """Enroll the candidates (customer → (trigger, event id)) who pass; return their ids."""
    playbook = version.playbook
    ids = sorted(candidates)
    if playbook.conditions is not None and ids:
        ids = sorted(_meeting_conditions(conn, playbook.conditions, ids))
    if playbook.enrollment.suppress_segment is not None and ids:
        gone = _suppressed(conn, playbook.enrollment.suppress_segment, ids)
        ids = [i for i in ids if i not in gone]
    if ids:
        kept_out = _not_again(conn, version, ids, now)
        ids = [i for i in ids if i not in kept_out]
    goal = playbook.goal
    marketing = playbook.kind == "marketing"
    controlled = {i for i in ids if marketing and in_global_control(i, version.global_control)}
    rows = [
        {
            "playbook_id": version.playbook_id,
            "version": version.version,
            "customer_id": customer_id,
            # the global control runs no step, as a holdout, and is marked for the programme
            "holdout": customer_id in controlled
            or in_holdout(version.name, customer_id, playbook.enrollment.holdout),
            "global_control": customer_id in controlled,
            "status": EnrollmentStatus.ACTIVE.value,
            "step": 0,
            "seq": 0,
            "next_at": now,
            "enrolled_at": now,
            "goal_until": now + timedelta(days=goal.within_days) if goal else None,
            "trigger": candidates[customer_id][0],
            "event_id": candidates[customer_id][1],
        }
        for customer_id in ids
    ]
    if rows:
        conn.execute(insert(Enrollment), rows)
    return ids


def enroll_from_feed(conn: Connection, version: Version, now: datetime, limit: int = 5000) -> int:
    """Read a batch of the feed for one playbook; enroll whom it sets off; return how many."""
    types = triggers.feed_types(version.playbook)
    if not types:
        return 0
    batch = feed.read(conn, version.consumer, types=types, limit=limit)
    enrolled = 0
    if version.status == PlaybookStatus.ACTIVE.value and batch.events:
        found = triggers.first_per_customer(version.playbook, batch.events)
        candidates = {c: (kind, event.id) for c, (kind, event) in found.items()}
        enrolled = len(admit(conn, version, candidates, now))
    feed.advance(conn, version.consumer, batch.end)
    return enrolled


def enroll_by_hand(conn: Connection, version: Version, customer_id: int, now: datetime) -> int:
    """Enroll one customer now (a person or an API client); return the enrollment's id.

    The playbook's conditions, suppression segment and re-enrollment policy still apply; a
    refusal says which.
    """
    if version.status != PlaybookStatus.ACTIVE.value:
        raise Conflict(f"playbook {version.name!r} is paused: resume it first")
    playbook = version.playbook
    if playbook.conditions is not None and not _meeting_conditions(
        conn, playbook.conditions, [customer_id]
    ):
        raise InvalidInput(f"customer {customer_id}: does not meet the playbook's conditions")
    segment = playbook.enrollment.suppress_segment
    if segment is not None and _suppressed(conn, segment, [customer_id]):
        raise InvalidInput(f"customer {customer_id}: in the suppression segment {segment!r}")
    if not admit(conn, version, {customer_id: ("manual", None)}, now):
        raise Conflict(
            f"customer {customer_id}: already enrolled in {version.name!r}, or enrolled "
            "before and the playbook enrolls once (or not again so soon)"
        )
    return int(
        conn.execute(
            select(func.max(Enrollment.id)).where(
                Enrollment.playbook_id == version.playbook_id,
                Enrollment.customer_id == customer_id,
            )
        ).scalar_one()
    )


WAITS = "automation:waits"  # the feed cursor that wakes enrollments waiting for an event


def wake_waiting(conn: Connection, now: datetime, limit: int = 10_000) -> int:
    """Wake the enrollments waiting for an event whose customers have new events.

    A woken enrollment looks for the awaited event types itself and sleeps again if none
    came; waking too many costs a look each, missing one would cost a journey.
    """
    batch = feed.read(conn, WAITS, limit=limit)
    customers = sorted({event.customer_id for event in batch.events})
    woken = 0
    for chunk in _chunks(customers):
        woken += conn.execute(
            update(Enrollment)
            .where(
                Enrollment.status == EnrollmentStatus.ACTIVE.value,
                Enrollment.waiting_since.is_not(None),
                Enrollment.customer_id.in_(chunk),
            )
            .values(next_at=now)
        ).rowcount
    feed.advance(conn, WAITS, batch.end)
    return int(woken)
