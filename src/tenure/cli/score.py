"""``tenure score``: a scoring run as of a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tenure.cli import context

if TYPE_CHECKING:
    from tenure.cli.words import Words


def score(
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Score as of this day, YYYY-MM-DD "
        "(default: today in the business time zone). Nothing "
        "after it is seen, so a past day reproduces the past.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    engine: str = typer.Option(
        "embedded",
        "--engine",
        help="embedded: the store, features on DuckDB. spark: Parquet files in (--input), "
        "Parquet out (--output), features on Apache Spark (pip install 'tenure[spark]').",
    ),
    input_dir: Path | None = typer.Option(
        None, "--input", help="With --engine spark: the folder of import files (Parquet)."
    ),
    output_dir: Path | None = typer.Option(
        None, "--output", help="With --engine spark: where scores, stages, segments go."
    ),
) -> None:
    """Score every customer as of a day: stage and why, value, segment, health, risk, KPIs.

    Writes the run (with its configuration and data fingerprints and the models' diagnostics),
    each customer's stage and the rule that decided it, P(alive) and CLV, RFM segment, health
    and lead scores, churn risk with its reasons, the stage history and transitions, and the
    KPIs. Running the same day on the same data again reuses the earlier run. Read the results
    with `tenure report`. See docs/stages.md and docs/metrics.md.

    `--engine spark --input DIR --output DIR` scores Parquet files on Apache Spark instead of
    the store (docs/spark.md).
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tenure.domains.scoring import failures
    from tenure.kit.errors import TenureError
    from tenure.worker.runs import score as score_store

    settings = context.settings()
    try:
        day = (
            date.fromisoformat(as_of)
            if as_of
            else datetime.now(ZoneInfo(settings.business.timezone)).date()
        )
    except ValueError:
        context.fail(f"--as-of {as_of!r} is not a date written YYYY-MM-DD")
    if engine == "spark":
        _score_on_spark(input_dir, output_dir, day if as_of else None, as_json)
        return
    if engine != "embedded":
        context.fail(f"--engine {engine!r}: use embedded or spark")
    eng = context.engine(settings)
    try:
        # read and computed in one transaction, written in another: the server and its
        # clients may go on writing meanwhile
        result = score_store(eng, day, settings)
    except TenureError as exc:
        context.fail(exc.message)
    except Exception as exc:
        kind = failures.classify(exc)
        if kind == failures.UNEXPECTED:
            raise
        context.fail(failures.REASONS[kind]["en"])
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


def _score_on_spark(
    input_dir: Path | None, output_dir: Path | None, day: date | None, as_json: bool
) -> None:
    from tenure.domains.scoring.spark_run import run_on_spark
    from tenure.kit.errors import TenureError

    if input_dir is None or output_dir is None:
        context.fail(
            "--engine spark reads --input DIR (Parquet import files) and writes --output DIR"
        )
    if not input_dir.is_dir():
        context.fail(f"--input {input_dir}: no such folder")
    try:
        record = run_on_spark(input_dir, output_dir, day, context.settings())
    except TenureError as exc:
        context.fail(exc.message)
    if as_json:
        context.print_json(record)
        return
    print_stages(record["stages"], f"Stages as of {record['as_of']} (Spark)")
    seconds = ", ".join(f"{k} {v:.1f} s" for k, v in record["seconds"].items())
    context.console.print(f"Wrote scores, stages and segments to {output_dir} ({seconds})")


def print_stages(stages: dict[str, int], title: str, words: Words | None = None) -> None:
    """Print a stage distribution as a table with shares and bars (in ``words``' language)."""
    from rich.table import Table

    from tenure.cli.words import Words

    w = words or Words("en", "USD")  # no money in it
    total = sum(stages.values()) or 1
    table = Table(w("stage"), w("customers"), w("share"), "", title=title)
    for stage, count in stages.items():
        share = count / total
        table.add_row(w.stage(stage), w.number(count), w.percent(share), "█" * round(share * 40))
    context.console.print(table)
