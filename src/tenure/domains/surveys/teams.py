"""Teams that act on feedback: support, product, billing, sales and the like.

A team's members are the users whose ``team`` (``tenure users team``) is the team's key: the
membership playbooks already use for round-robin tasks, not a second list. This adds the
team's names in both languages, its lead (who gets the overdue follow-ups), how its
follow-ups are assigned (``round_robin`` among the members by fewest open tasks, or the
customer's ``owner``) and its SLA in hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tenure.domains.audit import service as audit
from tenure.domains.surveys.models import Team
from tenure.domains.tasks.models import Task, TaskStatus
from tenure.domains.users.models import User
from tenure.domains.users.service import team_name
from tenure.kit.errors import InvalidInput, NotFound
from tenure.storage.rows import plain_row

ASSIGN = ("round_robin", "owner")
MAX_SLA_HOURS = 24 * 90


def _checked(conn: Connection, key: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = team_name(key)
    if name is None:
        raise InvalidInput("key: a team needs a key, e.g. support")
    out: dict[str, Any] = {}
    for field in ("name_en", "name_zh"):
        if field in values:
            text = str(values[field] or "").strip()
            if not text or len(text) > 100:
                raise InvalidInput(f"{field}: 1–100 characters")
            out[field] = text
    if "assign" in values:
        if values["assign"] not in ASSIGN:
            raise InvalidInput(f"assign: one of {', '.join(ASSIGN)}, not {values['assign']!r}")
        out["assign"] = values["assign"]
    if "sla_hours" in values:
        sla = values["sla_hours"]
        if not isinstance(sla, int) or isinstance(sla, bool) or not 1 <= sla <= MAX_SLA_HOURS:
            raise InvalidInput(f"sla_hours: a whole number of hours from 1 to {MAX_SLA_HOURS}")
        out["sla_hours"] = sla
    if "lead_id" in values:
        lead = values["lead_id"]
        if lead is not None:
            found = conn.execute(select(User.active).where(User.id == lead)).scalar_one_or_none()
            if not found:
                raise InvalidInput(f"lead_id: no active user with id {lead}")
        out["lead_id"] = lead
    return name, out


def put(
    conn: Connection, actor: audit.Actor, key: str, values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Create a team or change it (names, lead, assign, sla_hours); audited."""
    unknown = sorted(set(values) - {"name_en", "name_zh", "lead_id", "assign", "sla_hours"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a field of a team")
    name, changes = _checked(conn, key, values)
    old = conn.execute(select(Team.__table__).where(Team.key == name)).mappings().first()
    if old is None:
        row = {
            "key": name,
            "name_en": changes.get("name_en", name),
            "name_zh": changes.get("name_zh", changes.get("name_en", name)),
            "lead_id": changes.get("lead_id"),
            "assign": changes.get("assign", "round_robin"),
            "sla_hours": changes.get("sla_hours", 48),
            "created_at": now,
            "updated_at": now,
        }
        team_id = int(conn.execute(insert(Team).values(row).returning(Team.id)).scalar_one())
        audit.record(conn, actor, "team.create", "teams", team_id, after=row)
    else:
        before, after = audit.changed(plain_row(old), changes)
        if after:
            conn.execute(update(Team).where(Team.key == name).values(**after, updated_at=now))
            audit.record(conn, actor, "team.update", "teams", old["id"], before=before, after=after)
    return get(conn, name)


def get(conn: Connection, key: str) -> dict[str, Any]:
    """Return a team with its lead's name and its members (id, name, open tasks)."""
    found = [t for t in listing(conn) if t["key"] == key]
    if not found:
        raise NotFound(f"no team {key!r}")
    return found[0]


def find(conn: Connection, key: str) -> dict[str, Any] | None:
    """Return a team's row, or None."""
    row = conn.execute(select(Team.__table__).where(Team.key == key)).mappings().first()
    return None if row is None else plain_row(row)


def listing(conn: Connection) -> list[dict[str, Any]]:
    """Return every team by key, each with its lead's name and active members."""
    lead = select(User.name).where(User.id == Team.lead_id).scalar_subquery()
    teams = [
        plain_row(r)
        for r in conn.execute(
            select(Team.__table__, lead.label("lead_name")).order_by(Team.key)
        ).mappings()
    ]
    open_tasks = (
        select(func.count())
        .where(Task.assignee_id == User.id, Task.status == TaskStatus.OPEN.value)
        .scalar_subquery()
    )
    members: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(
        select(User.id, User.name, User.email, User.team, open_tasks.label("open_tasks"))
        .where(User.team.in_([t["key"] for t in teams]), User.active.is_(True))
        .order_by(User.id)
    ).mappings():
        members.setdefault(str(row["team"]), []).append(
            {
                "id": int(row["id"]),
                "name": row["name"],
                "email": row["email"],
                "open_tasks": int(row["open_tasks"]),
            }
        )
    for team in teams:
        team["members"] = members.get(team["key"], [])
    return teams


def next_member(conn: Connection, key: str) -> int | None:
    """Return the team's active member with the fewest open tasks (then the lowest id)."""
    open_tasks = (
        select(func.count())
        .where(Task.assignee_id == User.id, Task.status == TaskStatus.OPEN.value)
        .scalar_subquery()
    )
    found = conn.execute(
        select(User.id)
        .where(User.team == key, User.active.is_(True))
        .order_by(open_tasks, User.id)
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else int(found)
