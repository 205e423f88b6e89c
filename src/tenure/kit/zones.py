"""IANA time zones a person or a file names: checked, and spelt the way the zone database does."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from tenure.kit.errors import InvalidInput


@cache
def _known() -> dict[str, str]:
    # lower-case name -> the database's spelling: "asia/shanghai" is taken as "Asia/Shanghai"
    return {name.lower(): name for name in available_timezones()}


def canonical_zone(name: str) -> str | None:
    """Return the zone database's spelling of ``name`` (any case), or None if it is unknown."""
    return _known().get(name.strip().lower())


def known_zones() -> list[str]:
    """Return every IANA zone name, sorted (for a form's suggestions)."""
    return sorted(_known().values())


def check_zone(name: str | None, field: str = "timezone") -> str | None:
    """Return ``name`` spelt canonically (empty: None); ``InvalidInput`` naming ``field``."""
    if name is None or not name.strip():
        return None
    found = canonical_zone(name)
    if found is None:
        raise InvalidInput(
            f"{field}: unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)"
        )
    return found
