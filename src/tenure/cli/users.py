"""``tenure users …``: accounts, roles and API tokens (docs/security.md)."""

from __future__ import annotations

import typer
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "People who sign in to Tenure, their roles (admin, manager, marketing, sales, csm, "
        "viewer) and the API tokens other systems use. What each role may do: docs/security.md."
    ),
    no_args_is_help=True,
)
tokens_app = typer.Typer(
    rich_markup_mode="markdown",
    help="API tokens: sent as 'Authorization: Bearer TOKEN'; kept only as a hash.",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="token")


@app.command("create")
def create(
    email: str = typer.Argument(..., help="The email they sign in with."),
    name: str = typer.Option(..., "--name", help="Their name, as colleagues see it."),
    role: str = typer.Option(
        "viewer", "--role", help="admin, manager, marketing, sales, csm or viewer."
    ),
    team: str | None = typer.Option(
        None,
        "--team",
        help="A team, e.g. success: playbook tasks for the team go round-robin to its members.",
    ),
) -> None:
    """Create a user and print a one-time password (shown once; they change it on sign-in).

    Example: tenure users create ana@example.com --name "Ana Lima" --role csm --team success
    """
    from tenure.domains.users import service

    def make(conn: Connection) -> tuple[int, str]:
        return service.create_user(conn, name, email, role, team=team)

    user_id, password = context.in_store(make)
    context.console.print(f"User {user_id}: {email.lower()} ({role})")
    context.console.print(f"One-time password: [bold]{password}[/]  (shown only now)")


@app.command("list")
def list_users(
    as_json: bool = typer.Option(False, "--json", help="Print the users as JSON."),
) -> None:
    """List the users with their roles and last sign-in."""
    from rich.table import Table

    from tenure.domains.users import service

    found = context.in_store(service.list_users)
    if as_json:
        context.print_json(found)
        return
    table = Table("id", "name", "email", "role", "team", "active", "last sign-in", title="Users")
    for u in found:
        table.add_row(
            str(u["id"]),
            u["name"],
            u["email"],
            u["role"],
            u["team"] or "",
            "yes" if u["active"] else "no",
            str(u["last_login_at"] or "never")[:19],
        )
    context.console.print(table)


@app.command("team")
def team(
    email: str = typer.Argument(..., help="The user's email."),
    name: str = typer.Argument(
        "", help="The team, e.g. success; leave it out to take the user out of their team."
    ),
) -> None:
    """Put a user in a team, or in none; playbooks may give tasks to a team.

    A task for a team (assignee: {to: team, team: NAME}) goes to its active member with the
    fewest open tasks.

    Example: tenure users team lin@example.com success
    """
    from tenure.domains.users import service

    def move(conn: Connection) -> None:
        service.set_team(conn, service.COMMAND_LINE, _user_id(conn, email), name or None)

    context.in_store(move)
    said = f"in the team {name.strip().lower()}" if name.strip() else "in no team"
    context.console.print(f"{email.lower()} is {said}")


def _user_id(conn: Connection, email: str) -> int:
    from sqlalchemy import select

    from tenure.domains.users.models import User
    from tenure.kit.errors import NotFound

    found = conn.execute(
        select(User.id).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no user with the email {email!r}")
    return int(found)


@app.command("role")
def role(
    email: str = typer.Argument(..., help="The user's email."),
    new_role: str = typer.Argument(
        ..., metavar="ROLE", help="admin, manager, marketing, sales, csm or viewer."
    ),
) -> None:
    """Give a user another role; they sign in again, and running servers follow at once.

    Example: tenure users role lin@example.com manager
    """
    from tenure.domains.users import service

    context.in_store(
        lambda conn: service.set_role(conn, service.COMMAND_LINE, _user_id(conn, email), new_role)
    )
    context.console.print(f"{email.strip().lower()} is now {new_role.strip().lower()}")


@app.command("deactivate")
def deactivate(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Stop a user: their sessions end and their API tokens fail at once, everywhere."""
    from tenure.domains.users import service

    context.in_store(
        lambda conn: service.set_active(conn, service.COMMAND_LINE, _user_id(conn, email), False)
    )
    context.console.print(f"{email.strip().lower()} is deactivated")


@app.command("activate")
def activate(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Let a deactivated user sign in again."""
    from tenure.domains.users import service

    context.in_store(
        lambda conn: service.set_active(conn, service.COMMAND_LINE, _user_id(conn, email), True)
    )
    context.console.print(f"{email.strip().lower()} is active")


@app.command("password")
def password(
    email: str = typer.Argument(..., help="Whose password to set."),
) -> None:
    """Set a user's password (asked twice, never echoed; 12 to 256 characters).

    Also how a service account's API tokens start working: a user created with a one-time
    password has their tokens refused (403) until the password is changed.
    """
    from tenure.domains.users import service

    given = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    context.in_store(lambda conn: service.set_password(conn, email, given))
    context.console.print(f"Password set for {email.lower()}")


@app.command("reset-password")
def reset_password(
    email: str = typer.Argument(..., help="Whose password to reset."),
    as_json: bool = typer.Option(False, "--json", help="Print the user and password as JSON."),
) -> None:
    """Give a user a one-time password and sign them out everywhere (shown once).

    The password works for one sign-in, which must choose a new password. Running servers
    refuse the user's API tokens from the next call until then.

    Example: tenure users reset-password ana@example.com
    """
    from tenure.domains.users import passwords

    user_id, given = context.in_store(lambda conn: passwords.reset_password(conn, email))
    if as_json:
        context.print_json({"id": user_id, "email": email.strip().lower(), "password": given})
        return
    context.console.print(f"User {user_id}: {email.strip().lower()} is signed out everywhere")
    context.console.print(f"One-time password: [bold]{given}[/]  (shown only now)")


@tokens_app.command("create")
def token_create(
    email: str = typer.Argument(..., help="The user the token acts for."),
    name: str = typer.Option(..., "--name", help="What it is for, e.g. 'shop webhook'."),
    scopes: list[str] = typer.Option(
        ["read"],
        "--scope",
        help="read, write, ingest or score; repeat for several. A token may never do more "
        "than its user's role allows.",
    ),
) -> None:
    """Issue an API token and print it (shown once; only its hash is kept)."""
    from tenure.domains.users import service

    def make(conn: Connection) -> tuple[int, str]:
        return service.create_token(conn, email, name, scopes)

    token_id, token = context.in_store(make)
    context.console.print(f"Token {token_id} for {email.lower()} ({', '.join(sorted(scopes))})")
    context.console.print(f"[bold]{token}[/]  (shown only now)")


@tokens_app.command("list")
def token_list(
    as_json: bool = typer.Option(False, "--json", help="Print the tokens as JSON."),
) -> None:
    """List the API tokens: whose, what for, scopes, last use (never the tokens themselves)."""
    from rich.table import Table

    from tenure.domains.users import service

    found = context.in_store(service.list_tokens)
    if as_json:
        context.print_json(found)
        return
    table = Table("id", "user", "name", "starts", "scopes", "last used", "revoked", title="Tokens")
    for t in found:
        table.add_row(
            str(t["id"]),
            t["email"],
            t["name"],
            t["prefix"] + "…",
            ", ".join(t["scopes"]),
            str(t["last_used_at"] or "never")[:19],
            str(t["revoked_at"] or "")[:19],
        )
    context.console.print(table)


@tokens_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id (tenure users token list)."),
) -> None:
    """Revoke a token for good: requests with it are refused from now on."""
    from tenure.domains.users import service

    context.in_store(lambda conn: service.revoke_token(conn, token_id))
    context.console.print(f"Token {token_id} revoked")
