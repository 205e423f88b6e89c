"""``tenure webhooks …``: list the outbox, send what is due, retry a failure, print the secret."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Signed webhooks (Standard Webhooks) that playbooks send: an outbox in the store, "
        "delivered at least once by the worker, retried on a fixed schedule. Receivers verify "
        "the signature with the secret and drop repeats by webhook-id. See docs/webhooks.md."
    ),
    no_args_is_help=True,
)


@app.command("list")
def list_deliveries(
    status: str | None = typer.Option(
        None, "--status", help="Only this status: queued, delivering, delivered or failed."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print the deliveries as JSON."),
) -> None:
    """List webhook deliveries, newest first: status, attempts, the last answer or error."""
    from tenure.domains.webhooks import service

    found = context.in_store(lambda conn: service.listing(conn, status, limit))
    if as_json:
        context.print_json([asdict(d) for d in found])
        return
    if not found:
        context.console.print("No webhook deliveries" + (f" {status}." if status else "."))
        return
    from rich.table import Table

    table = Table("id", "status", "attempts", "event", "source", "url", "next / last")
    for d in found:
        last = d.last_error or (str(d.last_status_code) if d.last_status_code else "")
        when = d.next_attempt_at if d.status == "queued" else d.delivered_at
        table.add_row(
            str(d.id),
            d.status,
            str(d.attempts),
            d.event_type,
            d.source,
            d.url,
            " ".join(x for x in (f"{when:%Y-%m-%d %H:%M:%S}" if when else "", last) if x),
        )
    context.console.print(table)


@app.command("deliver")
def deliver(
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Send the deliveries that are due now, once (the worker does this every tick)."""
    from tenure.domains.webhooks.delivery import deliver_due
    from tenure.kit.clock import SystemClock
    from tenure.kit.errors import TenureError

    settings = context.settings()
    engine = context.engine(settings)
    try:
        done = deliver_due(engine, SystemClock(), limit=limit, settings=settings)
    except TenureError as exc:
        context.fail(exc.message)
    if as_json:
        context.print_json(asdict(done))
        return
    context.console.print(
        f"Delivered: {len(done.delivered)}; to retry: {len(done.retrying)}; "
        f"failed: {len(done.failed)}."
    )


@app.command("secret")
def secret() -> None:
    """Print the signing secret (whsec_…) receivers verify with; made on first use."""
    from tenure.domains.webhooks import service
    from tenure.kit.timeutil import utcnow

    settings = context.settings()
    typer.echo(context.in_store(lambda conn: service.secret(conn, settings, utcnow())))


@app.command("retry")
def retry(
    delivery_id: int = typer.Argument(..., help="The failed delivery's id (see `list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the delivery as JSON."),
) -> None:
    """Put a failed delivery back in the queue, due now, with its attempts counted afresh."""
    from tenure.domains.webhooks import service
    from tenure.kit.timeutil import utcnow

    def requeue(conn: Connection) -> Any:
        return service.retry(conn, delivery_id, utcnow())

    done = context.in_store(requeue)
    if as_json:
        context.print_json(asdict(done))
        return
    context.console.print(f"Delivery {done.id} is queued again (same webhook-id {done.key}).")
