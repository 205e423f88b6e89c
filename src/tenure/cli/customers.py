"""``tenure customers …``: a person's rights — a copy of everything about them, and erasure."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "A person's rights over their data (GDPR): export everything recorded about a "
        "customer, or erase them. See docs/security.md."
    ),
    no_args_is_help=True,
)


@app.command("export")
def export(
    customer: str = typer.Argument(..., help="The customer's id in your systems (external id)."),
    out: Path = typer.Option(
        None, "--out", help="The zip to write (default: `customer-<id>.zip` here)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
) -> None:
    """Write everything recorded about a customer to a zip: person.json and one CSV a section.

    Sections: profile, orders, order lines, events, surveys, subscriptions, tasks, scores and
    stages of every run, stage changes, playbooks, email, and the audit entries about them.
    """
    from tenure.domains.customers import privacy

    def gather(conn: Connection) -> tuple[int, dict[str, list[dict[str, object]]]]:
        customer_id = privacy.customer_id_of(conn, customer)
        return customer_id, privacy.export_person(conn, customer_id)

    customer_id, sections = context.in_store(gather)
    target = out or Path(f"customer-{customer_id}.zip")
    try:
        target.write_bytes(privacy.person_zip(sections))
    except OSError as exc:
        context.fail(f"{target}: {exc.strerror or exc}")
    counts = {name: len(rows) for name, rows in sections.items()}
    if as_json:
        context.print_json({"file": str(target), "rows": counts})
        return
    shown = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    context.console.print(f"{target}: {shown}")


@app.command("erase")
def erase(
    customer: str = typer.Argument(..., help="The customer's id in your systems (external id)."),
    confirm: str = typer.Option(
        ..., "--confirm", help="The same id again: erasure cannot be undone."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what was removed as JSON."),
) -> None:
    """Erase a person and keep the business's figures.

    Their profile is emptied (the row stays as `erased-<id>` with its orders, scores and
    stages), their events, tasks, email and webhook deliveries are removed, survey comments
    emptied, and the audit entries about them keep what happened but not what it said.
    """
    from tenure.domains.audit.service import Actor
    from tenure.domains.customers import privacy

    if confirm.strip() != customer.strip():
        context.fail(f"--confirm: type the customer's id {customer!r} again to erase them")

    def run(conn: Connection) -> privacy.Erased:
        return privacy.erase_customer(
            conn, Actor(None, "cli"), privacy.customer_id_of(conn, customer)
        )

    done = context.in_store(run)
    if as_json:
        context.print_json({"removed": done.removed, "emptied": done.emptied})
        return
    gone = ", ".join(f"{n} {name}" for name, n in done.removed.items() if n) or "nothing"
    emptied = ", ".join(f"{n} {name}" for name, n in done.emptied.items() if n) or "nothing"
    context.console.print(f"Erased {customer}: removed {gone}; emptied {emptied}.")
