"""``tenure messages …``: the email outbox — list, show, preview a template, deliver now."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Email sent by playbooks: every message is queued in the store's outbox, rendered "
        "from a Liquid template in the customer's language, then delivered (by the worker, "
        "or `tenure messages deliver`). See docs/messaging.md."
    ),
    no_args_is_help=True,
)

SHOWN = (
    "key",
    "status",
    "reason",
    "category",
    "template",
    "language",
    "to_address",
    "attempts",
    "created_at",
    "sent_at",
    "source",
    "transport_id",
)
STATUSES = "queued, sending, sent, failed, unknown or skipped"


@app.command("list")
def list_messages(
    status: str | None = typer.Option(None, "--status", help=f"Only messages {STATUSES}."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print the messages as JSON."),
) -> None:
    """List the newest messages: to whom, which template, where each stands and why."""
    from tenure.domains.messaging import service

    rows = context.in_store(lambda conn: service.listing(conn, status=status, limit=limit))
    if as_json:
        context.print_json(rows)
        return
    if not rows:
        context.console.print("No messages yet.")
        return
    from rich.table import Table

    table = Table("id", "customer", "to", "template", "lang", "status", "reason", "created")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["customer"],
            row["to_address"] or "—",
            row["template"],
            row["language"] or "—",
            row["status"],
            row["reason"] or "",
            row["created_at"].strftime("%Y-%m-%d %H:%M"),
        )
    context.console.print(table)


@app.command("show")
def show(
    message_id: int = typer.Argument(..., help="The message's id (see `tenure messages list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the message as JSON."),
) -> None:
    """Show one message: its status and history, subject and rendered text."""
    from tenure.domains.messaging import service

    found = context.in_store(lambda conn: service.show(conn, message_id))
    if as_json:
        context.print_json(found)
        return
    for name in SHOWN:
        context.console.print(f"{name}: {'—' if found[name] is None else found[name]}")
    context.console.print(f"\nSubject: {found['subject'] or ''}\n", highlight=False)
    typer.echo(found["text"] or "")


@app.command("preview")
def preview(
    template: str = typer.Argument(..., help="A template's name, e.g. win-back-offer."),
    customer: str = typer.Argument(..., help="The customer's id in your systems (external id)."),
    lang: str | None = typer.Option(
        None, "--lang", help="en or zh (default: the language the customer would get)."
    ),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text."),
    as_json: bool = typer.Option(False, "--json", help="Print subject, html and text as JSON."),
) -> None:
    """Render a template for one customer, as it would be sent; nothing is queued."""
    from tenure.domains.messaging import service

    config = context.settings()

    def render(conn: Connection) -> Any:
        customer_id = service.customer_by_external_id(conn, customer)
        return service.preview(conn, template, customer_id, lang=lang, settings=config)

    rendered = context.in_store(render)
    if as_json:
        context.print_json(vars(rendered))
        return
    context.console.print(
        f"Subject: {rendered.subject}  [dim]({rendered.language})[/]\n", highlight=False
    )
    typer.echo(rendered.html if html else rendered.text)


@app.command("deliver")
def deliver(
    limit: int = typer.Option(500, "--limit", min=1, help="At most this many messages."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Deliver the due messages now, once (the worker does this on every tick)."""
    from tenure.domains.messaging import transports
    from tenure.domains.messaging.delivery import deliver_due
    from tenure.kit.clock import SystemClock

    config = context.settings()
    engine = context.engine(config)
    report = deliver_due(
        engine,
        transports.from_settings(config.messaging),
        SystemClock(),
        limit,
        lease_seconds=config.messaging.sending_lease_seconds,
    )
    data = vars(report)
    if as_json:
        context.print_json(data)
        return
    context.console.print(
        f"sent {len(report.sent)}, to retry {len(report.retrying)}, failed "
        f"{len(report.failed)}, unknown {len(report.unknown)} (via {config.messaging.transport})"
    )
