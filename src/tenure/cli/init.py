"""``tenure init``: create or upgrade the store."""

from __future__ import annotations

import typer

from tenure.cli import context


def init(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create the store (or bring an existing one up to date) at TENURE_DATABASE_URL.

    Safe to run any number of times: it only applies migrations the store lacks.
    """
    from tenure.storage.engine import engine_for
    from tenure.storage.migrate import current_revision, upgrade

    config = context.settings()
    eng = engine_for(config.database)
    before = current_revision(eng)
    upgrade(eng)
    after = current_revision(eng)
    url = eng.url.render_as_string(hide_password=True)
    if as_json:
        context.print_json({"database": url, "revision_before": before, "revision": after})
        return
    if before == after:
        context.console.print(f"Store {url} is up to date (revision {after}).")
    else:
        context.console.print(f"Store {url} migrated from {before or 'empty'} to {after}.")
