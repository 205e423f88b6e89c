"""Dry runs asked for through the API or the web app: a queue in the store, as scoring runs are.

A request is checked (the playbook exists, the range lies within history) and committed as
"queued"; a worker claims it with a lease (one conditional UPDATE: two workers cannot both win),
walks it, renewing the lease as it goes, and stores the figures or the reason it failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from tenure.domains.audit import service as audit
from tenure.domains.automation import service
from tenure.domains.automation.dry_run_inputs import check_range
from tenure.domains.automation.models import DryRunRecord
from tenure.domains.customers.models import Customer
from tenure.kit.timeutil import utcnow
from tenure.storage.base import table_of
from tenure.storage.rows import plain_row

WORKER_LOST = "the worker walking this dry run stopped (three times): it was given up"


def earliest_day(conn: Connection, timezone: str) -> date | None:
    """Return the business day the first customer became known (history's first day)."""
    from zoneinfo import ZoneInfo

    first = conn.execute(
        select(func.min(func.coalesce(Customer.acquired_at, Customer.created_at)))
    ).scalar_one()
    if first is None:
        return None
    if isinstance(first, str):  # SQLite's MIN over a COALESCE loses the column's type
        first = datetime.fromisoformat(first)
    if first.tzinfo is None:
        first = first.replace(tzinfo=ZoneInfo("UTC"))
    return first.astimezone(ZoneInfo(timezone)).date()


def request(
    conn: Connection,
    actor: audit.Actor,
    name: str,
    first: date,
    last: date,
    today: date,
    timezone: str,
) -> int:
    """Queue a dry run of the published playbook ``name``; return its id.

    NotFound for an unknown playbook; ``BadRange`` (naming "from" or "to") for a range the
    dry run could not walk.
    """
    service.get(conn, name)
    check_range(first, last, earliest_day(conn, timezone), today)
    record_id = int(
        conn.execute(
            insert(DryRunRecord)
            .values(
                playbook=name,
                first_day=first,
                last_day=last,
                status="queued",
                requested_by=actor.user_id,
                created_at=utcnow(),
            )
            .returning(DryRunRecord.id)
        ).scalar_one()
    )
    after = {"from": first.isoformat(), "to": last.isoformat()}
    audit.record(conn, actor, "playbook.dry_run", "playbook_dry_runs", record_id, after=after)
    return record_id


def latest(conn: Connection, name: str) -> dict[str, Any] | None:
    """Return the latest dry run asked for of ``name`` (None if none yet)."""
    row = (
        conn.execute(
            select(table_of(DryRunRecord))
            .where(DryRunRecord.playbook == name)
            .order_by(DryRunRecord.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    found = plain_row(row)
    return {k: v for k, v in found.items() if k not in ("lease_owner", "lease_until")}


@dataclass(frozen=True)
class Claimed:
    """A dry run a worker holds."""

    record_id: int
    playbook: str
    first: date
    last: date


def claim_next(
    conn: Connection, owner: str, now: datetime, lease: timedelta, max_attempts: int
) -> Claimed | None:
    """Take the oldest queued dry run, or one whose worker's lease ran out; None if none."""
    claimable = or_(
        DryRunRecord.status == "queued",
        and_(DryRunRecord.status == "running", DryRunRecord.lease_until < now),
    )
    while True:
        pick = select(DryRunRecord.id, DryRunRecord.attempts).where(claimable)
        pick = pick.order_by(DryRunRecord.id).limit(1)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        row = conn.execute(pick).first()
        if row is None:
            return None
        record_id, attempts = int(row[0]), int(row[1])
        if attempts >= max_attempts:
            finish(conn, record_id, now, error=WORKER_LOST)
            continue
        taken = conn.execute(
            update(DryRunRecord)
            .where(DryRunRecord.id == record_id, claimable)
            .values(
                status="running",
                started_at=now,
                lease_owner=owner,
                lease_until=now + lease,
                attempts=DryRunRecord.attempts + 1,
            )
            .returning(DryRunRecord.playbook, DryRunRecord.first_day, DryRunRecord.last_day)
        ).first()
        if taken is not None:
            return Claimed(record_id, str(taken[0]), taken[1], taken[2])


def renew(conn: Connection, record_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend the lease of a dry run this worker holds; False if another took it over."""
    kept = conn.execute(
        update(DryRunRecord)
        .where(
            DryRunRecord.id == record_id,
            DryRunRecord.lease_owner == owner,
            DryRunRecord.status == "running",
        )
        .values(lease_until=now + lease)
    ).rowcount
    return bool(kept)


def finish(
    conn: Connection,
    record_id: int,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Record how a dry run ended: its figures, or why it failed."""
    conn.execute(
        update(DryRunRecord)
        .where(DryRunRecord.id == record_id)
        .values(
            status="failed" if error else "done",
            finished_at=now,
            result=result,
            error=error[:2000] if error else None,
            lease_until=None,
        )
    )


def definition_of(conn: Connection, name: str) -> dict[str, Any]:
    """Return the published playbook's current definition (NotFound if it is gone)."""
    return service.get(conn, name).definition
