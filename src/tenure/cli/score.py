"""``tenure score``: a scoring run as of a day."""

from __future__ import annotations

from datetime import date

import typer

from tenure.cli import context


def score(
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Score as of this day, YYYY-MM-DD "
        "(default: today in the business time zone). Nothing "
        "after it is seen, so a past day reproduces the past.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Place every customer in a lifecycle stage as of a day, and record why.

    Writes the run (with its configuration and data fingerprints), each customer's stage and
    the rule that decided it, the stage history and the transitions since the previous run.
    Running the same day on the same data again reuses the earlier run. See docs/stages.md.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tenure.domains.scoring.service import run_scoring
    from tenure.kit.errors import TenureError

    settings = context.settings()
    try:
        day = (
            date.fromisoformat(as_of)
            if as_of
            else datetime.now(ZoneInfo(settings.business.timezone)).date()
        )
    except ValueError:
        context.fail(f"--as-of {as_of!r} is not a date written YYYY-MM-DD")
    eng = context.engine(settings)
    try:
        with eng.begin() as conn:
            result = run_scoring(conn, day, settings)
    except TenureError as exc:
        context.fail(exc.message)
    if as_json:
        context.print_json(result.as_dict())
        return
    print_stages(
        result.stages,
        f"Stages as of {day} (run {result.run_id}"
        f"{', reused: same day, data and settings' if result.reused else ''})",
    )
    context.console.print(
        f"{result.transitions:,} customers changed stage since the previous run"
        if not result.reused
        else ""
    )


def print_stages(stages: dict[str, int], title: str) -> None:
    """Print a stage distribution as a table with shares and bars."""
    from rich.table import Table

    total = sum(stages.values()) or 1
    table = Table("stage", "customers", "share", "", title=title)
    for stage, count in stages.items():
        share = count / total
        table.add_row(stage, f"{count:,}", f"{share:.1%}", "█" * round(share * 40))
    context.console.print(table)
