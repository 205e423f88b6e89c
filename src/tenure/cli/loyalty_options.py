"""What ``tenure loyalty`` and ``tenure loyalty referrals`` share: options, the clock, a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer

from tenure.cli import context

PROGRAMME = typer.Option(
    None, "--programme", "-p", help="The programme's key (may be left out when there is one)."
)
JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def now() -> datetime:
    """Return the moment a command acts at."""
    return datetime.now(UTC)


def parse_day(text: str | None, option: str, code: int = 1) -> date | None:
    """Read an option's YYYY-MM-DD (None when not given); a mistake ends with exit ``code``."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        context.fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)", code=code)
