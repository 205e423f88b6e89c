"""Entry point of the ``tenure`` command."""

from __future__ import annotations

import typer

from tenure import __version__
from tenure.cli import (
    clv,
    customers,
    demo,
    demo_check,
    exporting,
    importing,
    init,
    loyalty,
    messages,
    playbooks,
    report,
    score,
    segments,
    serve,
    surveys,
    users,
    webhooks,
    worker,
)
from tenure.cli import report_cross_sell as _report_cross_sell  # noqa: F401  (report cross-sell)
from tenure.cli import report_kpis as _report_kpis  # noqa: F401  (adds report kpis, cohorts, channels)

demo.app.command("check")(demo_check.check)

app = typer.Typer(
    rich_markup_mode="markdown",
    name="tenure",
    help=(
        "Tenure: customer lifecycle management you run yourself.\n\n"
        "Start with `tenure demo` for a simulated company, or `tenure init` and "
        "`tenure import customers FILE` for your own data. "
        "The store is ./tenure.db unless TENURE_DATABASE_URL says otherwise."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("init")(init.init)
app.add_typer(importing.app, name="import")
app.add_typer(exporting.app, name="export")
app.add_typer(demo.app, name="demo")
app.command("serve")(serve.serve)
app.add_typer(clv.app, name="clv")
app.command("score")(score.score)
app.add_typer(report.app, name="report")
app.add_typer(segments.app, name="segments")
app.add_typer(customers.app, name="customers")
app.add_typer(playbooks.app, name="playbooks")
app.add_typer(messages.app, name="messages")
app.add_typer(loyalty.app, name="loyalty")
app.add_typer(surveys.app, name="surveys")
app.add_typer(users.app, name="users")
app.add_typer(webhooks.app, name="webhooks")
app.command("worker")(worker.worker)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tenure {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    lang: str | None = typer.Option(
        None,
        "--lang",
        help="Language of errors (and of reports without their own --lang): en or zh "
        "(default: zh when LC_ALL / LANG start with zh).",
        show_default=False,
    ),
) -> None:
    """Tenure: customer lifecycle management you run yourself."""
    if lang is not None:
        from tenure.cli import context

        chosen = lang.strip().lower()
        if chosen not in ("en", "zh"):
            context.fail(f"--lang: {lang!r} is not a language Tenure speaks; use en or zh")
        context.LANGUAGE = chosen


def main() -> None:
    """Run the command line."""
    app()
