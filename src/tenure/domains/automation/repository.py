"""Every query on playbooks and their published versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from tenure.domains.automation.models import (
    Enrollment,
    EnrollmentStatus,
    PlaybookRecord,
    PlaybookStatus,
    PlaybookVersion,
)
from tenure.domains.customers.models import Customer
from tenure.domains.users.models import User


@dataclass(frozen=True)
class Published:
    """A playbook with its current version."""

    id: int
    name: str
    status: str
    version: int
    checksum: str
    definition: dict[str, Any]
    source: str
    published_at: datetime
    versions: int


def _published() -> Any:
    latest = (
        select(PlaybookVersion.playbook_id, func.count().label("versions"))
        .group_by(PlaybookVersion.playbook_id)
        .subquery()
    )
    return (
        select(
            PlaybookRecord.id,
            PlaybookRecord.name,
            PlaybookRecord.status,
            PlaybookVersion.version,
            PlaybookVersion.checksum,
            PlaybookVersion.definition,
            PlaybookVersion.source,
            PlaybookVersion.published_at,
            latest.c.versions,
        )
        .join(
            PlaybookVersion,
            (PlaybookVersion.playbook_id == PlaybookRecord.id)
            & (PlaybookVersion.version == PlaybookRecord.current_version),
        )
        .join(latest, latest.c.playbook_id == PlaybookRecord.id)
    )


def find(conn: Connection, name: str) -> Published | None:
    """Return the playbook called ``name`` with its current version, if there is one."""
    row = conn.execute(_published().where(PlaybookRecord.name == name)).first()
    return None if row is None else Published(*row)


def all_published(conn: Connection) -> list[Published]:
    """Return every playbook with its current version, by name."""
    rows = conn.execute(_published().order_by(PlaybookRecord.name)).all()
    return [Published(*row) for row in rows]


def create(conn: Connection, name: str, status: PlaybookStatus, now: datetime) -> int:
    """Add a playbook (its first version comes with ``publish``); return its id."""
    return int(
        conn.execute(
            insert(PlaybookRecord)
            .values(
                name=name, status=status.value, current_version=0, created_at=now, updated_at=now
            )
            .returning(PlaybookRecord.id)
        ).scalar_one()
    )


def publish(
    conn: Connection,
    playbook_id: int,
    definition: dict[str, Any],
    source: str,
    checksum: str,
    now: datetime,
    by: int | None,
) -> int:
    """Publish the next version of a playbook and make it current; return its number."""
    latest = conn.execute(
        select(func.max(PlaybookVersion.version)).where(PlaybookVersion.playbook_id == playbook_id)
    ).scalar_one()
    version = int(latest or 0) + 1
    conn.execute(
        insert(PlaybookVersion).values(
            playbook_id=playbook_id,
            version=version,
            definition=definition,
            source=source,
            checksum=checksum,
            published_at=now,
            published_by=by,
        )
    )
    conn.execute(
        update(PlaybookRecord)
        .where(PlaybookRecord.id == playbook_id)
        .values(current_version=version, updated_at=now)
    )
    return version


def set_status(conn: Connection, playbook_id: int, status: PlaybookStatus, now: datetime) -> None:
    """Pause or resume a playbook."""
    conn.execute(
        update(PlaybookRecord)
        .where(PlaybookRecord.id == playbook_id)
        .values(status=status.value, updated_at=now)
    )


def versions(conn: Connection, playbook_id: int) -> list[dict[str, Any]]:
    """Return a playbook's versions, newest first: number, when, by whom, checksum."""
    rows = conn.execute(
        select(
            PlaybookVersion.version,
            PlaybookVersion.published_at,
            PlaybookVersion.published_by,
            PlaybookVersion.checksum,
        )
        .where(PlaybookVersion.playbook_id == playbook_id)
        .order_by(PlaybookVersion.version.desc())
    ).mappings()
    return [dict(row) for row in rows]


def in_progress(conn: Connection, playbook_id: int, now: datetime) -> tuple[int, int]:
    """Return a playbook's active enrollments, and how many of them have a step due by ``now``."""
    due = (Enrollment.next_at <= now).label("due")
    rows = conn.execute(
        select(due, func.count())
        .where(
            Enrollment.playbook_id == playbook_id,
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
        )
        .group_by(due)
    ).all()
    active = sum(int(n) for _, n in rows)
    return active, sum(int(n) for is_due, n in rows if is_due)


@dataclass(frozen=True)
class VersionRecord:
    """One published version of a playbook, as it was published."""

    name: str
    version: int
    current: bool
    definition: dict[str, Any]
    source: str
    checksum: str
    published_at: datetime
    published_by: int | None


def version(conn: Connection, playbook_id: int, number: int) -> VersionRecord | None:
    """Return version ``number`` of a playbook, if it was published."""
    row = conn.execute(
        select(
            PlaybookRecord.name,
            PlaybookVersion.version,
            PlaybookRecord.current_version == PlaybookVersion.version,
            PlaybookVersion.definition,
            PlaybookVersion.source,
            PlaybookVersion.checksum,
            PlaybookVersion.published_at,
            PlaybookVersion.published_by,
        )
        .join(PlaybookRecord, PlaybookRecord.id == PlaybookVersion.playbook_id)
        .where(PlaybookVersion.playbook_id == playbook_id, PlaybookVersion.version == number)
    ).first()
    return None if row is None else VersionRecord(row[0], row[1], bool(row[2]), *row[3:])


def customer_fields(conn: Connection, schema: Mapping[str, Any]) -> pl.DataFrame:
    """Return every customer's id (as customer_id) and the named fields of the customers table.

    A dry run's conditions and workload read them (their values today: history keeps no
    earlier ones).
    """
    table = Customer.__table__
    names = list(schema)
    rows = conn.execute(
        select(table.c.id, *(table.c[name] for name in names)).order_by(table.c.id)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows], schema={"customer_id": pl.Int64, **schema}, orient="row"
    )


def user_names(conn: Connection) -> dict[int, str]:
    """Return every user's id → name (a dry run's workload names the owners)."""
    return {int(i): str(n) for i, n in conn.execute(select(User.id, User.name)).all()}
