"""Read, check and save the settings people change in the web app; merge them for a run.

Saved groups win over tenure.toml and the environment (they are the later, deliberate choice);
a run records the configuration it used, so a change shows in the next run's fingerprint.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, delete, insert, select

from tenure.domains.audit import service as audit
from tenure.domains.preferences.models import StoredSettings
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import (
    AutomationSettings,
    HealthSettings,
    LeadSettings,
    Settings,
    StageSettings,
)
from tenure.kit.timeutil import utcnow

GROUPS: dict[str, type[BaseModel]] = {
    "stages": StageSettings,
    "health": HealthSettings,
    "leads": LeadSettings,
    # the global control group: `tenure demo` saves one so the demo measures its programme
    "automation": AutomationSettings,
}


def stored(conn: Connection) -> dict[str, dict[str, Any]]:
    """Return every saved group's values."""
    return {
        g: dict(v) for g, v in conn.execute(select(StoredSettings.group, StoredSettings.values))
    }


def effective(conn: Connection, settings: Settings) -> Settings:
    """Return ``settings`` with the saved groups in place of the file's."""
    saved = stored(conn)
    if not saved:
        return settings
    update = {
        group: GROUPS[group](**{**getattr(settings, group).model_dump(), **values})
        for group, values in saved.items()
        if group in GROUPS
    }
    return settings.model_copy(update=update)


def check(group: str, values: dict[str, Any]) -> BaseModel:
    """Validate a group's values; the error names each wrong field and why."""
    if group not in GROUPS:
        raise InvalidInput(f"unknown settings group {group!r}; groups: {', '.join(GROUPS)}")
    try:
        checked = GROUPS[group](**values)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or group}: {e['msg']}" for e in exc.errors()
        ]
        raise InvalidInput("; ".join(problems)) from None
    if isinstance(checked, HealthSettings) and checked.red_below > checked.green_from:
        raise InvalidInput("red_below: must not be above green_from")
    if isinstance(checked, LeadSettings) and checked.cold_below > checked.hot_from:
        raise InvalidInput("cold_below: must not be above hot_from")
    return checked


def save(
    conn: Connection, actor: audit.Actor, group: str, values: dict[str, Any], base: Settings
) -> BaseModel:
    """Check and save a group (complete, over ``base``'s values); the next run uses it."""
    current = effective(conn, base)
    before = getattr(current, group).model_dump() if group in GROUPS else {}
    checked = check(group, {**before, **values})
    after = checked.model_dump()
    conn.execute(delete(StoredSettings).where(StoredSettings.group == group))
    conn.execute(
        insert(StoredSettings).values(
            group=group, values=after, updated_at=utcnow(), updated_by=actor.user_id
        )
    )
    old, new = audit.changed(before, after)
    audit.record(conn, actor, "settings.save", "stored_settings", group, before=old, after=new)
    return checked


def reset(conn: Connection, actor: audit.Actor, group: str) -> None:
    """Forget a saved group: the file's and environment's values apply again."""
    conn.execute(delete(StoredSettings).where(StoredSettings.group == group))
    audit.record(conn, actor, "settings.reset", "stored_settings", group)
