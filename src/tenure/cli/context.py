"""What every command needs: settings, an engine on a migrated store, and a console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from rich.console import Console
from sqlalchemy import Connection, Engine

from tenure.kit.settings import Settings, load_settings

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    """Read the settings for this command."""
    return load_settings()


def engine(config: Settings, *, migrate: bool = True) -> Engine:
    """Open the configured store, bringing its schema up to date first."""
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    eng = make_engine(config.database.url, echo=config.database.echo)
    if migrate:
        upgrade(eng)
    return eng


def print_json(data: Any) -> None:
    """Print machine-readable output (``--json``)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error a person can act on and exit non-zero."""
    import typer

    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def in_store(action: Callable[[Connection], T]) -> T:
    """Run ``action`` in one transaction on the store; a mistake becomes a one-line error."""
    from tenure.kit.errors import TenureError

    eng = engine(settings())
    try:
        with eng.begin() as conn:
            return action(conn)
    except TenureError as exc:
        fail(exc.message)
