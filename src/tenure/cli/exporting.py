"""``tenure export ENTITY FILE``: write the store's data as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import typer

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Write customers, orders or events to a CSV or Parquet file, in the same columns "
    "`tenure import` reads, so an export imports into another store unchanged.",
    no_args_is_help=True,
)


def _make_command(entity: str) -> None:
    def command(
        file: Path = typer.Argument(..., help="Output file: .csv or .parquet.", show_default=False),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        from tenure.domains.dataio.export import export_entity
        from tenure.kit.errors import TenureError

        config = context.settings()
        eng = context.engine(config)
        try:
            with eng.connect() as conn:
                rows = export_entity(conn, entity, file)
        except TenureError as exc:
            context.fail(exc.message)
        if as_json:
            context.print_json({"entity": entity, "file": str(file), "rows": rows})
        else:
            what = "rows (one per order line)" if entity == "orders" else "rows"
            context.console.print(f"Exported {rows:,} {what} of {entity} to {file}")

    command.__doc__ = f"Export {entity} to FILE (.csv or .parquet)."
    app.command(entity)(command)


for _entity in ("customers", "orders", "events", "spend", "surveys", "subscriptions"):
    _make_command(_entity)
