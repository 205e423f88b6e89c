"""What playbooks did: enrollments by status, each step's runs and waits, a customer's journeys.

Read-only, set-based queries on the ORM models: a handful of grouped counts per page, whatever
the number of enrollments. Steps are named by their id (``step-N`` where the file gives none);
runs are counted by step id across versions, so a step keeps its numbers when an edit
publishes the next version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select

from tenure.domains.automation import repository as repo
from tenure.domains.automation import service
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.models import (
    Enrollment,
    EnrollmentStatus,
    PlaybookRecord,
    PlaybookStatus,
    PlaybookVersion,
    StepRun,
)
from tenure.domains.customers.models import Customer
from tenure.domains.customers.reach import Owners, owned
from tenure.kit.timeutil import utcnow

FINISHED = (
    EnrollmentStatus.CONVERTED,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.EXITED,
    EnrollmentStatus.FAILED,
)


@dataclass(frozen=True)
class PlaybookSummary:
    """One playbook: what it is and how its enrollments stand."""

    name: str
    title: dict[str, str]
    status: str
    version: int
    triggers: list[str]
    enrolled: int
    active: int
    converted: int
    completed: int
    exited: int
    failed: int
    holdout: int
    enrolled_last_7_days: int
    published_at: datetime
    held: int = 0  # paused: enrollments whose step is due and waits for the resume

    @property
    def finished(self) -> int:
        """Enrollments that ended, however."""
        return self.converted + self.completed + self.exited + self.failed

    @property
    def conversion_rate(self) -> float | None:
        """Converted ÷ finished; None while none has finished."""
        return self.converted / self.finished if self.finished else None

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as plain data, with the conversion rate."""
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "version": self.version,
            "triggers": self.triggers,
            "enrolled": self.enrolled,
            "active": self.active,
            "converted": self.converted,
            "completed": self.completed,
            "exited": self.exited,
            "failed": self.failed,
            "holdout": self.holdout,
            "enrolled_last_7_days": self.enrolled_last_7_days,
            "conversion_rate": self.conversion_rate,
            "published_at": self.published_at,
            "held": self.held,
        }


@dataclass(frozen=True)
class StepCount:
    """One step of the current version: how many enrollments ran it, and wait there now."""

    step_id: str
    index: int
    action: str
    ran: int
    outcomes: dict[str, int]
    waiting: int

    def as_dict(self) -> dict[str, Any]:
        """Return the count as plain data."""
        return {
            "step_id": self.step_id,
            "index": self.index,
            "action": self.action,
            "ran": self.ran,
            "outcomes": self.outcomes,
            "waiting": self.waiting,
        }


@dataclass(frozen=True)
class Journey:
    """A customer's enrollment in one playbook, with the steps it ran."""

    enrollment_id: int
    playbook: str
    title: dict[str, str]
    version: int
    status: str
    holdout: bool
    reason: str | None
    enrolled_at: datetime
    finished_at: datetime | None
    steps: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the journey as plain data."""
        return {
            "enrollment_id": self.enrollment_id,
            "playbook": self.playbook,
            "title": self.title,
            "version": self.version,
            "status": self.status,
            "holdout": self.holdout,
            "reason": self.reason,
            "enrolled_at": self.enrolled_at,
            "finished_at": self.finished_at,
            "steps": self.steps,
        }


def _title(definition: dict[str, Any]) -> dict[str, str]:
    words = definition.get("title") or {}
    en, zh = words.get("en"), words.get("zh")
    return {"en": en or zh or "", "zh": zh or en or ""}


def _count(status: EnrollmentStatus) -> Any:
    return func.coalesce(func.sum(case((Enrollment.status == status.value, 1), else_=0)), 0)


def summary(conn: Connection, now: datetime | None = None) -> list[PlaybookSummary]:
    """Return every playbook with its enrollments counted by status, by name."""
    now = now or utcnow()
    since = now - timedelta(days=7)
    due = (Enrollment.status == EnrollmentStatus.ACTIVE.value) & (Enrollment.next_at <= now)
    # the playbook's own holdout: the global control group (also run no step) is the
    # programme's, counted apart (``programme``), not this playbook's
    held_out = Enrollment.holdout.is_(True) & Enrollment.global_control.is_(False)
    counts = {
        int(row[0]): [int(n) for n in row[1:]]
        for row in conn.execute(
            select(
                Enrollment.playbook_id,
                func.count(),
                *(_count(s) for s in (EnrollmentStatus.ACTIVE, *FINISHED)),
                func.coalesce(func.sum(case((held_out, 1), else_=0)), 0),
                func.coalesce(func.sum(case((Enrollment.enrolled_at >= since, 1), else_=0)), 0),
                func.coalesce(func.sum(case((due, 1), else_=0)), 0),
            ).group_by(Enrollment.playbook_id)
        ).all()
    }
    found = []
    for p in repo.all_published(conn):
        enrolled, active, converted, completed, exited, failed, holdout, lately, due_now = (
            counts.get(p.id, [0] * 9)
        )
        found.append(
            PlaybookSummary(
                name=p.name,
                title=_title(p.definition),
                status=p.status,
                version=p.version,
                triggers=[next(iter(t)) for t in p.definition.get("trigger", [])],
                enrolled=enrolled,
                active=active,
                converted=converted,
                completed=completed,
                exited=exited,
                failed=failed,
                holdout=holdout,
                enrolled_last_7_days=lately,
                published_at=p.published_at,
                held=due_now if p.status == PlaybookStatus.PAUSED.value else 0,
            )
        )
    return found


def _step_ids(conn: Connection, playbook_id: int, versions: Iterable[int]) -> dict[int, Playbook]:
    wanted = sorted(set(versions))
    if not wanted:
        return {}
    rows = conn.execute(
        select(PlaybookVersion.version, PlaybookVersion.definition).where(
            PlaybookVersion.playbook_id == playbook_id, PlaybookVersion.version.in_(wanted)
        )
    ).all()
    return {int(v): Playbook.model_validate(d) for v, d in rows}


def _waiting_at(playbook: Playbook, step: int, waiting_for: bool) -> str | None:
    """Return the id of the step an active enrollment waits at, or None (due, or the goal)."""
    ids = playbook.step_ids()
    if waiting_for and 0 <= step < len(ids):
        return ids[step]  # a wait_for keeps the index of its own step
    if 0 < step <= len(ids) and playbook.steps[step - 1].wait is not None:
        return ids[step - 1]  # a wait moves the index past itself and sets when to wake
    return None


def step_counts(conn: Connection, name: str) -> list[StepCount]:
    """Return each step of the playbook's current version: runs by outcome, and who waits there."""
    found = service.get(conn, name)
    playbook = Playbook.model_validate(found.definition)
    ran = dict(
        conn.execute(
            select(StepRun.step_id, func.count(func.distinct(StepRun.enrollment_id)))
            .join(Enrollment, Enrollment.id == StepRun.enrollment_id)
            .where(Enrollment.playbook_id == found.id)
            .group_by(StepRun.step_id)
        ).all()
    )
    outcomes: dict[str, dict[str, int]] = {}
    for step_id, outcome, n in conn.execute(
        select(StepRun.step_id, StepRun.outcome, func.count(func.distinct(StepRun.enrollment_id)))
        .join(Enrollment, Enrollment.id == StepRun.enrollment_id)
        .where(Enrollment.playbook_id == found.id)
        .group_by(StepRun.step_id, StepRun.outcome)
    ).all():
        outcomes.setdefault(step_id, {})[outcome] = int(n)
    waits = conn.execute(
        select(
            Enrollment.version,
            Enrollment.step,
            Enrollment.waiting_since.is_not(None),
            func.count(),
        )
        .where(
            Enrollment.playbook_id == found.id,
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
            Enrollment.holdout.is_(False),
        )
        .group_by(Enrollment.version, Enrollment.step, Enrollment.waiting_since.is_not(None))
    ).all()
    versions = _step_ids(conn, found.id, (int(w[0]) for w in waits))
    waiting: dict[str, int] = {}
    for version, step, waiting_for, n in waits:
        at = _waiting_at(versions[int(version)], int(step), bool(waiting_for))
        if at is not None:
            waiting[at] = waiting.get(at, 0) + int(n)
    ids = playbook.step_ids()
    return [
        StepCount(
            step_id=step_id,
            index=index,
            action=step.action,
            ran=int(ran.get(step_id, 0)),
            outcomes=outcomes.get(step_id, {}),
            waiting=waiting.get(step_id, 0),
        )
        for index, (step_id, step) in enumerate(zip(ids, playbook.steps, strict=True))
    ]


def enrollments(
    conn: Connection,
    name: str,
    *,
    status: str | None = None,
    after: int | None = None,
    limit: int = 50,
    owners: Owners = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Return a page of a playbook's enrollments, newest first, and the next page's cursor.

    ``owners``: only the customers the caller reaches ([access]; None: all).
    """
    found = service.get(conn, name)
    query = (
        select(
            Enrollment.id,
            Enrollment.customer_id,
            Customer.external_id.label("customer_external_id"),
            Customer.name.label("customer_name"),
            Enrollment.version,
            Enrollment.status,
            Enrollment.step,
            Enrollment.waiting_since,
            Enrollment.next_at,
            Enrollment.holdout,
            Enrollment.reason,
            Enrollment.trigger,
            Enrollment.enrolled_at,
            Enrollment.finished_at,
        )
        .join(Customer, Customer.id == Enrollment.customer_id)
        .where(Enrollment.playbook_id == found.id, owned(owners))
        .order_by(Enrollment.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(Enrollment.status == status)
    if after is not None:
        query = query.where(Enrollment.id < after)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    versions = _step_ids(conn, found.id, (int(r["version"]) for r in rows))
    for row in rows:
        ids = versions[int(row["version"])].step_ids()
        step = int(row["step"])
        row["step_id"] = ids[step] if step < len(ids) else None
        row["waiting_at"] = (
            _waiting_at(versions[int(row["version"])], step, row["waiting_since"] is not None)
            if row["status"] == EnrollmentStatus.ACTIVE.value and not row["holdout"]
            else None
        )
    return rows, (int(rows[-1]["id"]) if more and rows else None)


def of_customer(conn: Connection, customer_id: int) -> list[Journey]:
    """Return the playbooks a customer is or was in, newest first, with the steps each ran."""
    rows = conn.execute(
        select(
            Enrollment.id,
            PlaybookRecord.name,
            PlaybookVersion.definition,
            Enrollment.version,
            Enrollment.status,
            Enrollment.holdout,
            Enrollment.reason,
            Enrollment.enrolled_at,
            Enrollment.finished_at,
        )
        .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
        .join(
            PlaybookVersion,
            (PlaybookVersion.playbook_id == Enrollment.playbook_id)
            & (PlaybookVersion.version == Enrollment.version),
        )
        .where(Enrollment.customer_id == customer_id)
        .order_by(Enrollment.id.desc())
    ).all()
    journeys = [
        Journey(
            enrollment_id=int(r.id),
            playbook=r.name,
            title=_title(r.definition),
            version=int(r.version),
            status=r.status,
            holdout=bool(r.holdout),
            reason=r.reason,
            enrolled_at=r.enrolled_at,
            finished_at=r.finished_at,
        )
        for r in rows
    ]
    if journeys:
        by_id = {j.enrollment_id: j for j in journeys}
        for run in conn.execute(
            select(
                StepRun.enrollment_id, StepRun.step_id, StepRun.action, StepRun.outcome, StepRun.at
            )
            .where(StepRun.enrollment_id.in_(list(by_id)))
            .order_by(StepRun.enrollment_id, StepRun.seq)
        ).mappings():
            by_id[int(run["enrollment_id"])].steps.append(
                {k: run[k] for k in ("step_id", "action", "outcome", "at")}
            )
    return journeys


def sample_customer(conn: Connection, name: str) -> str | None:
    """Return the external id of a customer to preview a playbook's email with.

    Its latest enrollment's customer, else the first customer with an email address; None in
    an empty store.
    """
    latest = conn.execute(
        select(Customer.external_id)
        .join(Enrollment, Enrollment.customer_id == Customer.id)
        .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
        .where(PlaybookRecord.name == name)
        .order_by(Enrollment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is not None:
        return str(latest)
    first = conn.execute(
        select(Customer.external_id)
        .where(Customer.email.is_not(None))
        .order_by(Customer.id)
        .limit(1)
    ).scalar_one_or_none()
    return None if first is None else str(first)
