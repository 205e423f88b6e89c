"""``tenure import ENTITY FILE``: load a CSV, TSV, Parquet or XLSX file into the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tenure.cli import context

if TYPE_CHECKING:
    from tenure.domains.dataio.service import ImportReport

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Load a file into the store: customers, orders, events, spend, surveys, subscriptions.\n\n"
        "Columns are matched to fields by name (customer_id, order_id, ordered_at, amount, …), "
        "by --map COLUMN=FIELD, by --mapping FILE, or by a --preset (shopify-orders, "
        "stripe-payments). Importing the same file twice changes nothing. Nothing is written "
        "unless every row is valid; --skip-invalid writes the valid rows and puts the others, "
        "with reasons, in FILE.rejected.csv. See docs/import.md."
    ),
    no_args_is_help=True,
)

ENTITY_HELP = {
    "customers": "Customers: customer_id, email, name, phone, company, acquisition_channel, "
    "acquired_at, owner_email, tags, email_consent, …; other columns become attributes.",
    "orders": "Orders: order_id, customer_id, ordered_at, amount, status, cost or margin, "
    "discount, currency, channel; product_id, product_name, category, quantity, unit_price "
    "make each row a line item.",
    "events": "Events: event_id (optional), customer_id, occurred_at, type; other columns become "
    "properties.",
    "spend": "Marketing spend: channel, period_start, period_end, amount, currency.",
    "surveys": "Survey answers: customer_id, score (0–10), answered_at, survey, comment.",
    "subscriptions": "Subscriptions: subscription_id, customer_id, plan, billing_period, status, "
    "mrr, started_at, cancelled_at.",
}


def _count_lines(path: Path) -> int | None:
    if path.suffix.lower() not in (".csv", ".tsv", ".tab", ".txt") or not path.is_file():
        return None  # the importer says what is wrong with the file
    total = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            total += block.count(b"\n")
    return max(total - 1, 0)


def _print_report(report: ImportReport, shown: int) -> None:
    console = context.console
    verb = "Checked" if not report.written else "Imported"
    console.print(
        f"{verb} {report.rows:,} rows of {report.entity} from {report.path} "
        f"in {report.seconds:.1f} s"
    )
    console.print(
        f"  inserted {report.inserted:,} · updated {report.updated:,} · "
        f"unchanged {report.unchanged:,} · rejected {report.rejected:,}"
    )
    if report.created_customers:
        console.print(f"  created {report.created_customers:,} customers named by the file")
    if report.ignored_columns:
        console.print(
            f"  ignored columns: {', '.join(report.ignored_columns)} "
            "(map them with --map COLUMN=FIELD)"
        )
    for problem in report.problems[:shown]:
        console.print(f"  [yellow]{problem.describe(report.path)}[/]", highlight=False)
    if report.problem_count > shown:
        console.print(f"  … and {report.problem_count - shown:,} more problems")
    if report.rejected_file:
        console.print(f"  rejected rows, with reasons: {report.rejected_file}")
    if not report.written:
        console.print("  dry run: nothing was written")


def _make_command(entity: str) -> None:
    def command(
        file: Path = typer.Argument(
            ..., help="CSV, TSV, Parquet or XLSX file.", show_default=False
        ),
        map_: list[str] = typer.Option(
            [], "--map", help="COLUMN=FIELD (repeatable); COLUMN=- ignores a column."
        ),
        mapping: Path | None = typer.Option(
            None,
            "--mapping",
            help="TOML or JSON file of COLUMN = FIELD pairs (optionally preset, timezone).",
        ),
        preset: str | None = typer.Option(
            None, "--preset", help="shopify-orders or stripe-payments."
        ),
        skip_invalid: bool = typer.Option(
            False,
            "--skip-invalid",
            help="Write the valid rows; put the others in FILE.rejected.csv.",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
        create_customers: bool = typer.Option(
            False,
            "--create-customers",
            help="Create "
            "customers that the file names but the store "
            "lacks (otherwise such rows are rejected).",
        ),
        encoding: str = typer.Option(
            "utf-8", "--encoding", help="Text encoding of CSV/TSV, e.g. gbk or latin-1."
        ),
        timezone: str | None = typer.Option(
            None,
            "--timezone",
            help="Zone of times written without one (default: the business time zone).",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        _run(
            entity,
            file,
            map_,
            mapping,
            preset,
            skip_invalid,
            dry_run,
            create_customers,
            encoding,
            timezone,
            as_json,
        )

    command.__doc__ = ENTITY_HELP[entity]
    app.command(entity)(command)


def _run(
    entity: str,
    file: Path,
    pairs: list[str],
    mapping: Path | None,
    preset: str | None,
    skip_invalid: bool,
    dry_run: bool,
    create_customers: bool,
    encoding: str,
    timezone: str | None,
    as_json: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from tenure.domains.dataio.mapping import MappingRequest
    from tenure.domains.dataio.service import ImportOptions, ImportRejected, import_file
    from tenure.kit.errors import TenureError
    from tenure.kit.timeutil import utcnow
    from tenure.storage.engine import bulk_load

    config = context.settings()
    options = ImportOptions(
        entity=entity,
        path=file,
        mapping=MappingRequest(preset=preset, mapping_file=mapping, pairs=pairs),
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        create_customers=create_customers,
        encoding=encoding,
        timezone=timezone or config.business.timezone,
        currency=config.business.currency,
        batch_rows=config.imports.batch_rows,
        shown_problems=config.imports.max_reported_errors,
    )
    eng = context.engine(config)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=context.err_console,
        transient=True,
        disable=as_json,
    )
    try:
        # waits its turn for the write lock while the server or a worker writes
        with progress, bulk_load(eng, turns=context.WRITE_TURNS) as conn:
            task = progress.add_task(f"import {entity}", total=_count_lines(file))
            report = import_file(
                conn, options, now=utcnow(), progress=lambda n: progress.advance(task, n)
            )
    except ImportRejected as exc:
        if as_json:
            context.print_json(exc.report.summary())
            raise typer.Exit(1) from exc
        context.fail(exc.message)
    except TenureError as exc:
        context.fail(exc.message)
    except Exception as exc:
        context.busy_or_raise(exc, config)
    if as_json:
        context.print_json(report.summary())
    else:
        _print_report(report, config.imports.max_reported_errors)


for _entity in ENTITY_HELP:
    _make_command(_entity)
