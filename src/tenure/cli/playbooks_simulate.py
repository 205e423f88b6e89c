"""``tenure playbooks simulate``: a dry run of a playbook on history, writing nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer

from tenure.cli import context
from tenure.cli.words import Words, lang_option, words


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        context.fail(f"{option}: {text!r} is not a day; write it as YYYY-MM-DD", code=2)


def simulate(
    name: str | None = typer.Argument(None, help="The published playbook's name."),
    file: Path | None = typer.Option(
        None, "--file", help="A playbook file to try instead (it need not be published)."
    ),
    first: str = typer.Option(..., "--from", help="The first day to replay (YYYY-MM-DD)."),
    last: str = typer.Option(..., "--to", help="The last day to replay (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    lang: str | None = lang_option(),
) -> None:
    """Replay a playbook day by day over history as if it had been live; write nothing.

    Each day's stages and scores are what a scoring run of that day would have given; the
    live engine's rules decide who enters (conditions, re-entry, global control, holdout).
    Shows entries per week, the holdout reached, emails and tasks per owner (with --json, per
    owner and week), collisions with other playbooks, the frequency cap, and the goal rate of
    those it would have enrolled: an observation, not the playbook's effect
    (docs/experiments.md).
    """
    from tenure.domains.automation import loading, service
    from tenure.domains.automation.definition import Playbook
    from tenure.domains.automation.dry_run import simulate as run
    from tenure.domains.automation.dry_run_inputs import BadRange
    from tenure.kit.errors import TenureError
    from tenure.kit.timeutil import business_today

    w = words(lang)
    if (name is None) == (file is None):
        context.fail("give a playbook's name or --file PATH (one of them)", code=2)
    start, end = _day(first, "--from"), _day(last, "--to")
    config = context.settings()
    engine = context.engine(config)
    try:
        with engine.connect() as conn:
            if file is not None:
                playbook = loading.read(file).playbook
            else:
                assert name is not None  # noqa: S101  (one of the two, checked above)
                playbook = Playbook.model_validate(service.get(conn, name).definition)
            today = business_today(config.business.timezone)
            with _progress(not as_json and sys.stderr.isatty(), w) as step:
                figures = run(conn, playbook, start, end, today, config, step)
    except BadRange as exc:
        context.fail(f"--{exc.message}", code=2)
    except TenureError as exc:
        context.fail(exc.message)
    if as_json:
        context.print_json(figures)
        return
    context.console.print(text(figures, w), highlight=False)


class _progress:  # noqa: N801  (used as a context manager, like rich's)
    """A progress bar on a terminal (days replayed), nothing elsewhere."""

    def __init__(self, shown: bool, w: Words) -> None:
        self.shown, self.w = shown, w
        self.bar: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.shown:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn(self.w("replaying days")),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=context.err_console,
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task("days", total=None)

        def step(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total)

        return step

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _left(text: str, width: int) -> str:
    """Pad to ``width`` terminal cells: a Chinese character takes two, so str.ljust misaligns."""
    from rich.cells import cell_len

    return text + " " * max(width - cell_len(text), 0)


def _right(text: str, width: int) -> str:
    from rich.cells import cell_len

    return " " * max(width - cell_len(text), 0) + text


def text(figures: dict[str, Any], w: Words) -> str:
    """Return the figures as a person reads them, in ``w``'s language."""
    t, work = figures["totals"], figures["workload"]
    lines = [
        w(
            "Dry run of {name}, {first} to {last}",
            name=figures["playbook"],
            first=w.day(figures["from"]),
            last=w.day(figures["to"]),
        ),
        w("An observation of history, not the playbook's effect."),
        "",
        f"{w('entered')}: {w.number(t['entered'])}   {w('treated')}: {w.number(t['treated'])}   "
        f"{w('holdout')}: {w.number(t['holdout'])} ({w.percent(figures['holdout']['reached'])}; "
        f"{w('declared')} {w.percent(figures['holdout']['share'])})   "
        f"{w('global control')}: {w.number(t['global_control'])}",
        f"{w('set off')}: {w.number(t['set_off'])}   "
        f"{w('failed conditions')}: {w.number(t['failed_conditions'])}   "
        f"{w('still enrolled')}: {w.number(t['still_enrolled'])}   "
        f"{w('enrolled once')}: {w.number(t['enrolled_once'])}   "
        f"{w('too soon')}: {w.number(t['too_soon'])}",
        "",
        w("Entries per week"),
    ]
    lines += [
        f"  {_left(w.day(row['week']), 16)} {_right(w.number(row['entries']), 7)}  "
        f"({w('holdout')} {w.number(row['holdout'])})"
        for row in figures["weeks"]
    ]
    not_sent = work["emails_not_sent"]
    lines += [
        "",
        f"{w('emails sent')}: {w.number(work['emails_sent'])}   "
        f"{w('no consent')}: {w.number(not_sent.get('no_consent', 0))}   "
        f"{w('over the frequency cap')}: {w.number(not_sent.get('frequency_cap', 0))}   "
        f"{w('tasks')}: {w.number(work['tasks_created'])}",
    ]
    from tenure.domains.automation.dry_run_owners import owner_workload

    owners = owner_workload(figures, w.lang)
    if owners:  # one line an owner; --json keeps every owner's weeks
        lines += [
            "",
            w("Workload per owner"),
            f"  {_left('', 28)} {_right(w('emails'), 7)} {_right(w('tasks'), 7)} "
            f"{_right(w('busiest week'), 13)}",
        ]
        lines += [
            f"  {_left(o['label'], 28)} {_right(w.number(o['emails']), 7)} "
            f"{_right(w.number(o['tasks']), 7)} {_right(w.number(o['busiest']), 13)}"
            for o in owners
        ]
    if figures["collisions"]:
        lines += ["", w("Also enrolled in another playbook at entry")]
        lines += [
            f"  {_left(row['playbook'], 28)} {_right(w.number(row['customers']), 6)}"
            for row in figures["collisions"]
        ]
    goal = figures["goal"]
    if goal is not None:
        lines += [
            "",
            w("Goal met within {days} days (observed, not caused)", days=goal["within_days"]),
        ]
        for group in ("all", "treated", "holdout"):
            g = goal[group]
            lines.append(
                f"  {_left(w(group), 10)} {_right(w.percent(g['rate']), 6)}  "
                f"({w.number(g['met'])} / {w.number(g['observed'])})"
            )
    if figures["not_replayed"]:
        lines += ["", f"{w('not replayed')}: {', '.join(figures['not_replayed'])}"]
    return "\n".join(lines)
