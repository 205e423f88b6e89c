"""``tenure loyalty …``: programmes, members' balances and ledgers, awards, redemptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Connection

from tenure.cli import context, referrals
from tenure.cli.loyalty_options import JSON, PROGRAMME, parse_day
from tenure.cli.loyalty_options import now as _now
from tenure.cli.words import lang_option, words

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Loyalty programmes on an append-only ledger: points or cashback, earn rules, "
        "rewards, expiry. See docs/loyalty.md."
    ),
    no_args_is_help=True,
)

app.add_typer(referrals.app, name="referrals")
KEY_HELP = "An idempotency key: the same key again changes nothing (e.g. your system's id)."


def _cli_actor() -> Any:
    from tenure.domains.audit.service import Actor

    return Actor(None, "cli")


@app.command("apply")
def apply(
    path: Path = typer.Argument(..., help="A programme YAML file, or a folder of them."),
    as_json: bool = JSON,
) -> None:
    """Check programme files and store those that changed (nothing is stored on a mistake)."""
    from tenure.domains.loyalty import programmes

    def work(conn: Connection) -> list[dict[str, Any]]:
        found = programmes.read_all(path)
        return [
            programmes.apply(conn, programme, source, _now()).__dict__
            for programme, source in found
        ]

    done = context.in_store(work)
    if as_json:
        context.print_json(done)
        return
    for item in done:
        context.console.print(f"{item['key']}: version {item['version']} ({item['outcome']})")


@app.command("programmes")
def programmes_list(as_json: bool = JSON) -> None:
    """List the programmes with their currency, rules and rewards."""
    from tenure.domains.loyalty import repository, service

    def work(conn: Connection) -> list[dict[str, Any]]:
        listed = []
        for key in repository.programme_keys(conn):
            programme = service.book(conn, key).programme
            listed.append(
                {
                    "key": key,
                    "name": programme.name,
                    "currency": programme.currency.value,
                    "earn": [rule.key for rule in programme.earn],
                    "rewards": [{"key": r.key, "price": r.price} for r in programme.rewards],
                    "expiry": programme.expiry.policy.value,
                    "pending_days": programme.pending_days,
                }
            )
        return listed

    listed = context.in_store(work)
    if as_json:
        context.print_json(listed)
        return
    if not listed:
        context.console.print("No programme yet: tenure loyalty apply programme.yaml")
    for item in listed:
        context.console.print(
            f"[bold]{item['key']}[/] {item['name']} ({item['currency']}): "
            f"earn {', '.join(item['earn']) or '-'}; "
            f"{len(item['rewards'])} reward(s); expiry {item['expiry']}; "
            f"pending {item['pending_days']} day(s)"
        )


@app.command("earn")
def earn(
    until: str | None = typer.Option(None, "--until", help="Earn on orders up to this day."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Credit paid orders not yet earned, reverse refunded ones, write expiries due."""
    from tenure.domains.loyalty import orders, service
    from tenure.kit.timeutil import end_of_day

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        day = parse_day(until, "--until")
        moment = end_of_day(day, book.programme.timezone) if day else _now()
        return orders.run(conn, book, moment).__dict__

    done = context.in_store(work)
    if as_json:
        context.print_json(done)
        return
    context.console.print(
        f"{done['orders']:,} order(s) looked at: {done['earned']:,} earning(s), "
        f"{done['points']:,} units; {done['refunds']:,} refund(s) took back {done['reversed']:,}"
    )


@app.command("balance")
def balance(
    customer: str = typer.Argument(..., help="The customer's external id."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Show a member's balance: total, spendable now, pending and owed."""
    from tenure.domains.loyalty import service

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        found = service.balance(conn, book, service.customer(conn, customer), _now())
        return {"programme": book.programme.key, "customer": customer, **found.__dict__}

    found = context.in_store(work)
    if as_json:
        context.print_json(found)
        return
    context.console.print(
        f"{customer}: {found['total']:,} in all, {found['spendable']:,} spendable, "
        f"{found['pending']:,} pending, {found['owed']:,} owed"
    )


@app.command("report")
def report(
    programme: str | None = PROGRAMME,
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)."),
    months: int = typer.Option(
        12, "--months", min=1, max=120, help="The tier migration's period, in months."
    ),
    as_json: bool = JSON,
    lang: str | None = lang_option(),
) -> None:
    """Members beside comparable non-members (matched; not a causal effect), tier migration."""
    from zoneinfo import ZoneInfo

    from tenure.cli.loyalty_report import print_report
    from tenure.domains.loyalty import kpis, service

    w = words(lang)

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        today = _now().astimezone(ZoneInfo(book.programme.timezone)).date()
        day = parse_day(as_of, "--as-of") or today
        return kpis.report(conn, book, as_of=day, months=months, today=today)

    found = context.in_store(work)
    if as_json:
        context.print_json(found)
        return
    print_report(found, w)


@app.command("join")
def join(
    customer: str = typer.Argument(..., help="The customer's external id."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Make a customer a member (an opt-in programme earns on their orders from now on)."""
    from tenure.domains.loyalty import membership, service

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        done = membership.join(conn, book, service.customer(conn, customer), _now())
        return {
            "programme": book.programme.key,
            "customer": customer,
            "joined_at": done.joined_at.isoformat(),
            "joined": done.new,
        }

    found = context.in_store(work)
    if as_json:
        context.print_json(found)
        return
    verb = "joined" if found["joined"] else "has been a member since"
    context.console.print(f"{customer} {verb} {found['programme']} {found['joined_at'][:10]}")


@app.command("ledger")
def ledger_rows(
    customer: str = typer.Argument(..., help="The customer's external id."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="How many entries."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """List a member's ledger entries, newest first."""
    from rich.table import Table

    from tenure.domains.loyalty import service

    def work(conn: Connection) -> list[dict[str, Any]]:
        book = service.sole_programme(conn, programme)
        return service.statement(conn, book, service.customer(conn, customer), limit=limit)

    rows = context.in_store(work)
    if as_json:
        context.print_json(rows)
        return
    table = Table("when", "kind", "amount", "rule / reason", "expires")
    for row in rows:
        table.add_row(
            str(row["occurred_at"])[:16],
            str(row["kind"]),
            f"{row['amount']:+,}",
            str(row["rule"] or row["reason"] or ""),
            str(row["expires_at"] or "")[:10],
        )
    context.console.print(table)


@app.command("award")
def award(
    customer: str = typer.Argument(..., help="The customer's external id."),
    amount: str = typer.Argument(..., help="Points (or money for a cashback programme)."),
    key: str = typer.Option(..., "--key", help=KEY_HELP),
    reason: str | None = typer.Option(None, "--reason", help="What it is for."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Give a member points (a lot, spendable at once)."""
    from tenure.domains.loyalty import service

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        units = book.programme.to_units(amount)
        credit = service.Credit(
            service.customer(conn, customer), units, f"award:{key}", _now(), "award", reason
        )
        posted = service.award(conn, book, credit)
        return {"entry": posted.entry.id, "written": posted.written, "amount": units}

    _report(context.in_store(work), as_json, "awarded")


@app.command("redeem")
def redeem(
    customer: str = typer.Argument(..., help="The customer's external id."),
    key: str = typer.Option(..., "--key", help=KEY_HELP),
    reward: str | None = typer.Option(None, "--reward", help="A reward's key."),
    quantity: int = typer.Option(1, "--quantity", min=1, help="How many of the reward."),
    amount: str | None = typer.Option(None, "--amount", help="Or a plain amount."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Spend a member's points on a reward or an amount (refused when short)."""
    from tenure.domains.loyalty import service

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        units = None if amount is None else book.programme.to_units(amount)
        posted = service.redeem(
            conn,
            book,
            customer_id=service.customer(conn, customer),
            key=f"redeem:{key}",
            at=_now(),
            reward=reward,
            amount=units,
            quantity=quantity,
        )
        return {"entry": posted.entry.id, "written": posted.written, "amount": posted.entry.amount}

    _report(context.in_store(work), as_json, "redeemed")


@app.command("adjust")
def adjust(
    customer: str = typer.Argument(..., help="The customer's external id."),
    amount: str = typer.Argument(
        ..., help="Signed: 25 adds; -- -25 takes away (the -- lets a negative number through)."
    ),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    key: str = typer.Option(..., "--key", help=KEY_HELP),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Correct a member's balance, with a reason; audited."""
    from tenure.domains.loyalty import service

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        units = book.programme.to_units(amount)
        posted = service.adjust(
            conn,
            book,
            customer_id=service.customer(conn, customer),
            amount=units,
            reason=reason,
            key=f"adjust:{key}",
            at=_now(),
            actor=_cli_actor(),
        )
        return {"entry": posted.entry.id, "written": posted.written, "amount": units}

    _report(context.in_store(work), as_json, "adjusted")


def _report(done: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        context.print_json(done)
    elif done["written"]:
        context.console.print(f"{verb} {abs(done['amount']):,} (entry {done['entry']})")
    else:
        context.console.print(f"already done under this key (entry {done['entry']}): no change")


@app.command("import")
def import_openings(
    path: Path = typer.Argument(..., help="CSV: customer, amount[, expires_at][, key]."),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Import opening balances from another system (once per member)."""
    from tenure.domains.loyalty import opening, service

    if not path.is_file():
        context.fail(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        rows = opening.parse(conn, book, text)
        written = opening.import_openings(conn, book, rows, _now(), _cli_actor())
        return {"rows": len(rows), "written": written}

    done = context.in_store(work)
    if as_json:
        context.print_json(done)
        return
    context.console.print(
        f"{done['rows']:,} row(s): {done['written']:,} opening balance(s) written, "
        f"{done['rows'] - done['written']:,} already there"
    )


@app.command("check")
def check(programme: str | None = PROGRAMME, as_json: bool = JSON) -> None:
    """Prove balance = Σ entries for every account (exit 1 on any problem)."""
    from tenure.domains.loyalty import check as checking
    from tenure.domains.loyalty import repository, service

    def work(conn: Connection) -> list[dict[str, Any]]:
        keys = [programme] if programme else repository.programme_keys(conn)
        reports = []
        for key in keys:
            found = checking.check(conn, service.book(conn, key).id)
            reports.append({"programme": key, "ok": found.ok, **found.__dict__})
        return reports

    reports = context.in_store(work)
    if as_json:
        context.print_json(reports)
    else:
        for item in reports:
            state = "[green]adds up[/]" if item["ok"] else "[red]does NOT add up[/]"
            context.console.print(
                f"{item['programme']}: {item['accounts']:,} account(s), "
                f"Σ entries {item['total']:,}: {state}"
            )
            for problem in item["problems"][:50]:
                context.console.print(f"  {problem}", markup=False)
    if not all(item["ok"] for item in reports):
        raise typer.Exit(1)
