"""``tenure segments …``: save a filter over customers and their scores as a named segment."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "User-defined segments: a filter tree (JSON) over customer attributes, the current "
        "stage and scores. Members are recomputed by every scoring run. See docs/segments.md."
    ),
    no_args_is_help=True,
)

FILTER_HELP = (
    "The filter as JSON, or @FILE to read it from a file, e.g. "
    '\'{"all": [{"field": "clv", "op": ">=", "value": 500}, '
    '{"field": "stage", "op": "in", "value": ["declining", "churned"]}]}\''
)


def _filter_text(given: str) -> str:
    if given.startswith("@"):
        path = Path(given[1:])
        if not path.is_file():
            context.fail(f"{path}: no such file")
        return path.read_text(encoding="utf-8")
    return given


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The segment's name, e.g. 'at-risk VIPs'."),
    filter_json: str = typer.Option(..., "--filter", help=FILTER_HELP),
    description: str | None = typer.Option(None, "--description", help="What it is for."),
    as_json: bool = typer.Option(False, "--json", help="Print the new segment as JSON."),
) -> None:
    """Save a segment and fill it from the current stages and scores.

    Fields: customer_id, acquisition_channel, country, region, city, industry, company_size,
    gender, email_consent, sms_consent, owner_id, stage, p_alive, expected_purchases_12m,
    expected_spend, clv, paid_revenue, gross_margin, r_score, f_score, m_score, rfm_segment,
    value_quadrant, health_score, health_band, lead_fit, lead_engagement, lead_score,
    lead_band, lead_conversion, churn_risk.
    Operators: = != > >= < <= in not_in between is_null not_null; combine with all, any, not.
    """
    from tenure.domains.audit.service import Actor
    from tenure.domains.segments import service

    text = _filter_text(filter_json)

    def make(conn: Connection) -> dict[str, object]:
        return service.create(
            conn, name, service.parse_filter(text), description, actor=Actor(None, "cli")
        )

    made = context.in_store(make)
    if as_json:
        context.print_json(made)
        return
    context.console.print(f"Segment [bold]{name}[/]: {made['members']:,} customers")


@app.command("list")
def list_segments(
    as_json: bool = typer.Option(False, "--json", help="Print the segments as JSON."),
) -> None:
    """List the segments with their members at the last refresh."""
    from rich.table import Table

    from tenure.domains.segments import service

    found = context.in_store(service.list_all)
    if as_json:
        context.print_json(found)
        return
    if not found:
        context.console.print(
            "No segments yet. Create one: tenure segments create NAME --filter "
            '\'{"field": "churn_risk", "op": ">", "value": 0.5}\''
        )
        return
    table = Table("segment", "customers", "refreshed", "description", title="Segments")
    for s in found:
        table.add_row(
            s["name"], f"{s['members']:,}", str(s["refreshed_at"])[:19], s["description"] or ""
        )
    context.console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="The segment's name."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the member ids as CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print the segment and members as JSON."),
) -> None:
    """Show a segment's filter and its members."""
    from tenure.domains.segments import service

    def read(conn: Connection) -> tuple[dict[str, object], list[int]]:
        return service.get(conn, name), service.member_ids(conn, name)

    segment, members = context.in_store(read)
    if as_csv:
        typer.echo("customer_id")
        for member in members:
            typer.echo(str(member))
        return
    if as_json:
        context.print_json({**segment, "member_ids": members})
        return
    context.console.print(f"[bold]{name}[/] — {len(members):,} customers")
    context.print_json(segment["filter"])
    preview = ", ".join(str(m) for m in members[:20])
    context.console.print(f"members: {preview}{' …' if len(members) > 20 else ''}")


@app.command("check")
def check(
    name: str = typer.Argument(..., help="The segment's name."),
    customer_id: int = typer.Argument(..., help="The customer's id."),
) -> None:
    """Say whether one customer matches a segment's filter now (evaluated in memory)."""
    from tenure.domains.segments import service

    inside = context.in_store(lambda conn: service.customer_matches(conn, name, customer_id))
    context.console.print(f"customer {customer_id} is {'in' if inside else 'not in'} {name!r}")
    raise typer.Exit(0 if inside else 3)


@app.command("delete")
def delete(name: str = typer.Argument(..., help="The segment's name.")) -> None:
    """Delete a segment (its members go with it)."""
    from tenure.domains.audit.service import Actor
    from tenure.domains.segments import service

    context.in_store(lambda conn: service.delete_segment(conn, name, actor=Actor(None, "cli")))
    context.console.print(f"Deleted segment {name!r}")
