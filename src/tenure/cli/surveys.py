"""``tenure surveys …``: surveys, their answers and figures; teams, routing, follow-ups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Surveys (NPS, CSAT, CES, forms) and what follows an answer: teams with members and "
        "a lead, routing rules that turn answers into tasks, and closing the loop. "
        "See docs/surveys.md."
    ),
    no_args_is_help=True,
)


def _actor() -> Any:
    from tenure.domains.audit.service import Actor

    return Actor(None, "cli")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


@app.command("apply")
def apply(
    path: Path = typer.Argument(..., help="A survey definition (.yaml or .json)."),
) -> None:
    """Create or change a survey from its definition file (docs/surveys.md)."""
    import yaml

    from tenure.domains.surveys import service
    from tenure.kit.timeutil import utcnow

    if not path.is_file():
        context.fail(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        context.fail(f"{path}, line {line}: not valid YAML: {getattr(exc, 'problem', exc)}")
    if not isinstance(data, dict):
        context.fail(f"{path}: a survey is a mapping: key, kind, title, questions …")
    spec = service.parse(data)
    stored, created = context.in_store(lambda conn: service.apply(conn, spec, utcnow()))
    context.console.print(f"{stored.key}: {'created' if created else 'changed'}")


@app.command("list")
def list_surveys(
    as_json: bool = typer.Option(False, "--json", help="Print the surveys as JSON."),
) -> None:
    """List the surveys with their invitations, answers and response rate."""
    from tenure.domains.surveys import figures, service

    def read(conn: Connection) -> list[dict[str, Any]]:
        out = []
        for s in service.listing(conn):
            f = figures.survey_figures(conn, s.key)
            out.append(
                {"key": s.key, "kind": s.spec.kind, "active": s.active}
                | {k: f[k] for k in ("invited", "answered", "response_rate", "answers", "poor")}
            )
        return out

    found = context.in_store(read)
    if as_json:
        context.print_json(found)
        return
    table = Table(
        "survey", "kind", "active", "invited", "answered", "response", "poor", title="Surveys"
    )
    for s in found:
        table.add_row(
            s["key"],
            s["kind"],
            "yes" if s["active"] else "no",
            str(s["invited"]),
            str(s["answered"]),
            _pct(s["response_rate"]),
            str(s["poor"]),
        )
    context.console.print(table)


@app.command("show")
def show(
    key: str = typer.Argument(..., help="The survey's key, e.g. nps."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Show a survey's KPIs: response rate, score by month, SLA, time to contact, recovery."""
    from tenure.domains.surveys import figures

    got = context.in_store(lambda conn: figures.survey_figures(conn, key))
    if as_json:
        context.print_json(got)
        return
    hours = got["median_hours_to_contact"]
    context.console.print(
        f"{key} ({got['kind']}): {got['invited']} invited, {got['answered']} answered "
        f"({_pct(got['response_rate'])}); {got['poor']} poor answer(s), "
        f"{_pct(got['contacted_within_sla'])} contacted within the SLA, median "
        f"{'–' if hours is None else f'{hours:.1f} h'} to first contact, recovery "
        f"{_pct(got['recovery_rate'])} of {got['followed_up_closed']} closed"
    )
    for m in got["by_month"]:
        context.console.print(f"  {m['month']}: {m['score']:+.1f} ({m['answers']} answers)")


@app.command("answers")
def answers(
    key: str = typer.Argument(..., help="The survey's key."),
    band: str | None = typer.Option(None, "--band", help="Only this band, e.g. detractor."),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print the answers as JSON."),
) -> None:
    """List a survey's answers, newest first, with the customer and the comment."""
    from tenure.domains.surveys import service

    found = context.in_store(lambda conn: service.answers(conn, key, band=band, limit=limit))
    if as_json:
        context.print_json(found)
        return
    table = Table("id", "customer", "score", "band", "answered", "comment", title=key)
    for a in found:
        table.add_row(
            str(a["id"]),
            str(a.get("customer_name") or a["customer_id"]),
            "" if a["score"] is None else str(a["score"]),
            a["band"] or "",
            str(a["answered_at"])[:16],
            (a["comment"] or "")[:60],
        )
    context.console.print(table)


@app.command("teams")
def list_teams(
    as_json: bool = typer.Option(False, "--json", help="Print the teams as JSON."),
) -> None:
    """List the teams: lead, members, SLA, and their follow-ups open and overdue."""
    from tenure.domains.surveys import figures, teams
    from tenure.kit.timeutil import utcnow

    def read(conn: Connection) -> list[dict[str, Any]]:
        now = utcnow()
        return [t | {"board": figures.team_board(conn, t["key"], now)} for t in teams.listing(conn)]

    found = context.in_store(read)
    if as_json:
        context.print_json(found)
        return
    table = Table(
        "team", "name", "lead", "members", "assign", "SLA", "open", "overdue", title="Teams"
    )
    for t in found:
        table.add_row(
            t["key"],
            f"{t['name_en']} / {t['name_zh']}",
            t["lead_name"] or "",
            ", ".join(m["name"] for m in t["members"]),
            t["assign"],
            f"{t['sla_hours']} h",
            str(t["board"]["open"]),
            str(t["board"]["overdue"]),
        )
    context.console.print(table)


@app.command("team-set")
def team_set(
    key: str = typer.Argument(..., help="The team's key, e.g. billing (members: users team)."),
    name_en: str | None = typer.Option(None, "--name-en", help="Its name in English."),
    name_zh: str | None = typer.Option(None, "--name-zh", help="Its name in Chinese."),
    lead: str | None = typer.Option(None, "--lead", help="The lead's email (overdue go there)."),
    assign: str | None = typer.Option(None, "--assign", help="round_robin or owner."),
    sla_hours: int | None = typer.Option(None, "--sla-hours", help="Hours to first contact."),
) -> None:
    """Create or change a team. Members join with `tenure users team EMAIL TEAM`."""
    from sqlalchemy import select

    from tenure.domains.surveys import teams
    from tenure.domains.users.models import User
    from tenure.kit.errors import InvalidInput
    from tenure.kit.timeutil import utcnow

    def put(conn: Connection) -> dict[str, Any]:
        values: dict[str, Any] = {
            k: v
            for k, v in (
                ("name_en", name_en),
                ("name_zh", name_zh),
                ("assign", assign),
                ("sla_hours", sla_hours),
            )
            if v is not None
        }
        if lead is not None:
            found = conn.execute(select(User.id).where(User.email == lead.strip().lower()))
            lead_id = found.scalar_one_or_none()
            if lead_id is None:
                raise InvalidInput(f"--lead: no user {lead!r}")
            values["lead_id"] = lead_id
        return teams.put(conn, _actor(), key, values, utcnow())

    team = context.in_store(put)
    context.console.print(
        f"{team['key']}: lead {team['lead_name'] or '–'}, {len(team['members'])} member(s), "
        f"{team['assign']}, SLA {team['sla_hours']} h"
    )


@app.command("route")
def route(
    path: Path = typer.Argument(..., help="A routing file (.yaml), e.g. surveys/nps.routing.yaml."),
) -> None:
    """Check a routing file and keep its rules; each mistake is printed with its line."""
    from tenure.domains.surveys import routing
    from tenure.kit.timeutil import utcnow

    if not path.is_file():
        context.fail(f"{path}: no such file")
    text = path.read_text(encoding="utf-8")
    try:
        routing.parse(text, str(path))
    except routing.RoutingInvalid as exc:
        context.fail(f"{len(exc.mistakes)} mistake(s); nothing was kept:\n{exc.message}")
    kept = context.in_store(lambda conn: routing.apply(conn, text, str(path), utcnow()))
    context.console.print(f"{kept.survey}: {len(kept.rules)} rule(s) kept")


@app.command("close")
def close(
    task_id: int = typer.Argument(..., help="The follow-up task's id."),
    outcome: str = typer.Option(..., "--outcome", help="contacted, resolved or not_reachable."),
    root_cause: str = typer.Option(..., "--root-cause", help="product, service, price, other."),
    note: str = typer.Option("", "--note", help="What was said or done."),
    ask: bool = typer.Option(False, "--ask", help="Send the “did we resolve it?” survey."),
) -> None:
    """Close a survey follow-up: complete its task with an outcome and a root cause."""
    from tenure.domains.surveys import followups
    from tenure.kit.timeutil import utcnow

    config = context.settings()
    done = context.in_store(
        lambda conn: followups.close(
            conn,
            _actor(),
            task_id,
            outcome=outcome,
            root_cause=root_cause,
            note=note,
            ask=ask,
            now=utcnow(),
            settings=config,
        )
    )
    asked = " ; the “resolved?” survey sent" if done.get("check_invitation_id") else ""
    context.console.print(f"task {task_id}: {done['outcome']} ({done['root_cause']}){asked}")
