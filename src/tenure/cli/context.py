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

# a command waits this many busy timeouts (2 minutes by default) for the store's write lock
# while the server, a worker or another command writes, then says so in one line
WRITE_TURNS = 4

console = Console()
err_console = Console(stderr=True)
# the language of errors: `tenure --lang zh …` or a report's --lang; None: the locale's
LANGUAGE: str | None = None


def settings() -> Settings:
    """Read the settings for this command."""
    return load_settings()


def engine(config: Settings, *, migrate: bool = True) -> Engine:
    """Open the configured store, bringing its schema up to date first."""
    from tenure.storage.engine import engine_for
    from tenure.storage.migrate import upgrade

    eng = engine_for(config.database)
    if migrate:
        upgrade(eng)
    return eng


def print_json(data: Any) -> None:
    """Print machine-readable output (``--json``)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error a person can act on and exit non-zero."""
    import typer

    from tenure.cli.words import default_lang
    from tenure.kit.error_words import say

    lang = LANGUAGE or default_lang()
    label = "错误：" if lang == "zh" else "error: "
    err_console.print(f"[bold red]{label}[/]{say(message, lang)}", highlight=False, markup=True)
    raise typer.Exit(code)


def in_store(action: Callable[[Connection], T]) -> T:
    """Run ``action`` in one transaction on the store; a mistake becomes a one-line error.

    The transaction takes SQLite's write lock first (``write_transaction``): a command that
    writes waits its turn while the server writes, instead of failing halfway.
    """
    from tenure.kit.errors import TenureError
    from tenure.storage.engine import write_transaction

    config = settings()
    eng = engine(config)
    try:
        with write_transaction(eng, turns=WRITE_TURNS) as conn:
            return action(conn)
    except TenureError as exc:
        fail(exc.message)
    except Exception as exc:
        busy_or_raise(exc, config)


def busy_or_raise(exc: Exception, config: Settings) -> NoReturn:
    """Fail with one line if ``exc`` says the store stayed busy; raise it again otherwise."""
    from tenure.storage.errors import is_busy

    if not is_busy(exc):
        raise exc
    fail(
        "the store stayed busy with other writes for "
        f"{WRITE_TURNS * config.database.busy_timeout_seconds:g} s "
        "(a long import or scoring run?); nothing was changed. Try again, or raise "
        "TENURE_DATABASE__BUSY_TIMEOUT_SECONDS."
    )
