"""``tenure loyalty referrals …``: members' codes, referred friends, the review list."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import Connection

from tenure.cli import context
from tenure.cli.loyalty_options import JSON, PROGRAMME, parse_day
from tenure.cli.loyalty_options import now as _now

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Referrals: a code per member; a friend who arrives by it and is new earns the member "
        "points after the friend's first paid order and its return window. Suspicious ones "
        "wait for review. See docs/loyalty.md."
    ),
    no_args_is_help=True,
)

STATUSES = ("waiting", "review", "rewarded", "rejected")


def _customer(conn: Connection, external_id: str, field: str) -> int:
    from tenure.domains.loyalty import repository
    from tenure.kit.errors import NotFound

    found = repository.customer_id_of(conn, external_id)
    if found is None:
        raise NotFound(f"{field}: no customer with the id {external_id!r}")
    return found


@app.command("code")
def code(
    customer: str = typer.Argument(..., help="The member's customer id (yours, as imported)."),
    programme: str | None = PROGRAMME,
) -> None:
    """Print the member's referral code (made the first time it is asked for)."""
    from tenure.domains.loyalty import referrals, service

    def work(conn: Connection) -> str:
        book = service.sole_programme(conn, programme)
        return referrals.code_for(conn, book, _customer(conn, customer, "customer"), _now())

    context.console.print(context.in_store(work))


@app.command("refer")
def refer(
    referral_code: str = typer.Argument(..., metavar="CODE", help="The code the friend used."),
    friend: str = typer.Argument(..., help="The friend's customer id (import them first)."),
    at: str | None = typer.Option(
        None, "--at", help="When the friend arrived (YYYY-MM-DD, start of the day; default now)."
    ),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Record that a friend arrived by a member's code; say whether it waits, or why not."""
    from tenure.domains.loyalty import referrals, service
    from tenure.kit.timeutil import start_of_day

    day = parse_day(at, "--at", code=2)

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        friend_id = _customer(conn, friend, "friend")
        moment = start_of_day(day, book.programme.timezone) if day else _now()
        return referrals.refer(conn, book, referral_code, friend_id, moment).__dict__

    done = context.in_store(work)
    if as_json:
        context.print_json(done)
        return
    why = f" ({', '.join(done['reasons'])})" if done["reasons"] else ""
    context.console.print(f"referral {done['referral_id']}: {done['status']}{why}")


@app.command("list")
def listing(
    status: str | None = typer.Option(
        None, "--status", help=f"Only referrals in this state: {', '.join(STATUSES)}."
    ),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """List referrals, the newest first (``--status review``: the review list)."""
    from tenure.domains.loyalty import referral_repository, service

    if status is not None and status not in STATUSES:
        context.fail(f"--status: {status!r} is not one of {', '.join(STATUSES)}", code=2)

    def work(conn: Connection) -> list[dict[str, Any]]:
        book = service.sole_programme(conn, programme)
        return [row.__dict__ for row in referral_repository.listing(conn, book.id, status)]

    rows = context.in_store(work)
    if as_json:
        context.print_json(rows)
        return
    if not rows:
        context.console.print("no referrals")
    for row in rows:
        why = f"  {', '.join(row['reasons'])}" if row["reasons"] else ""
        context.console.print(
            f"{row['id']:>6}  {row['referred_at']:%Y-%m-%d}  {row['referrer']} → "
            f"{row['friend']}  {row['status']}{why}",
            markup=False,
        )


def _decide(referral_id: int, note: str, programme: str | None, approve: bool) -> None:
    from tenure.domains.audit.service import Actor
    from tenure.domains.loyalty import referrals, service

    def work(conn: Connection) -> str:
        book = service.sole_programme(conn, programme)
        actor = Actor(None, "cli")
        return referrals.decide(
            conn, book, actor, referral_id, approve=approve, note=note, at=_now()
        )

    context.console.print(f"referral {referral_id}: {context.in_store(work)}")


NOTE = typer.Option(..., "--note", help="Why (kept with the referral and in the audit log).")


@app.command("approve")
def approve(
    referral_id: int = typer.Argument(..., help="The referral's number (from `list`)."),
    note: str = NOTE,
    programme: str | None = PROGRAMME,
) -> None:
    """Let a referral under review wait for the friend's first order again."""
    _decide(referral_id, note, programme, approve=True)


@app.command("reject")
def reject(
    referral_id: int = typer.Argument(..., help="The referral's number (from `list`)."),
    note: str = NOTE,
    programme: str | None = PROGRAMME,
) -> None:
    """End a referral under review unrewarded."""
    _decide(referral_id, note, programme, approve=False)


@app.command("reward")
def reward(
    until: str | None = typer.Option(
        None, "--until", help="Count return windows as ended by this day (default: now)."
    ),
    programme: str | None = PROGRAMME,
    as_json: bool = JSON,
) -> None:
    """Credit referrers whose friend's first paid order is past its return window."""
    from tenure.domains.loyalty import referrals, service
    from tenure.kit.timeutil import end_of_day

    day = parse_day(until, "--until", code=2)

    def work(conn: Connection) -> dict[str, Any]:
        book = service.sole_programme(conn, programme)
        moment = end_of_day(day, book.programme.timezone) if day else _now()
        return referrals.qualify(conn, book, moment).__dict__

    done = context.in_store(work)
    if as_json:
        context.print_json(done)
        return
    context.console.print(
        f"{done['rewarded']:,} rewarded, {done['rejected']:,} ended unrewarded, "
        f"{done['still_waiting']:,} still in their return window"
    )
