"""``tenure playbooks …``: publish playbook files, list, show, pause and resume them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Connection

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help=(
        "Playbooks: when something happens to a customer (a stage entered, a score crossed, "
        "an event, a date, a survey answer), check conditions, then act step by step — send "
        "an email, create a task for the owner, wait, branch. Written as YAML files; each "
        "apply publishes a new version when a file changed. See docs/playbooks.md."
    ),
    no_args_is_help=True,
)


from tenure.cli.playbooks_simulate import simulate  # noqa: E402  (the group's own command)

app.command("simulate")(simulate)


def _actor() -> Any:
    from tenure.domains.audit.service import Actor

    return Actor(None, "cli")


@app.command("apply")
def apply(
    path: Path = typer.Argument(
        ..., help="A playbook file (.yaml) or a folder of them, e.g. playbooks/."
    ),
    paused: bool = typer.Option(
        False, "--paused", help="New playbooks start paused (nobody enrolls until resumed)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what was published as JSON."),
) -> None:
    """Check playbook files and publish each one that changed as a new version.

    Every file is checked first; if any has a mistake, each is printed with its file, line and
    field, and nothing is published. A file whose content is unchanged (comments and layout
    aside) publishes nothing. Customers already enrolled finish on the version they started.
    """
    from tenure.domains.automation import loading, service

    if not path.exists():
        context.fail(f"{path}: no such file or folder")
    try:
        loaded = loading.read_all(path)
    except loading.PlaybookInvalid as exc:
        context.fail(f"{len(exc.mistakes)} mistake(s); nothing was published:\n{exc.message}")
    settings = context.settings()
    known = service.Templates(settings.messaging.templates_dir)
    done = context.in_store(  # a mistake found against the store is printed the same way
        lambda conn: service.apply(conn, _actor(), loaded, paused=paused, templates=known)
    )
    if as_json:
        context.print_json([vars(item) for item in done])
        return
    for item in done:
        context.console.print(f"{item.name}: version {item.version} ({item.outcome})")


@app.command("list")
def list_playbooks(
    as_json: bool = typer.Option(False, "--json", help="Print the playbooks as JSON."),
) -> None:
    """List the playbooks: status, current version, trigger, number of steps."""
    from tenure.domains.automation import service

    found = context.in_store(service.listing)
    rows = [
        {
            "name": p.name,
            "status": p.status,
            "version": p.version,
            "versions": p.versions,
            "title": p.definition["title"],
            "trigger": [next(iter(t)) for t in p.definition["trigger"]],
            "steps": len(p.definition["steps"]),
            "published_at": p.published_at,
        }
        for p in found
    ]
    if as_json:
        context.print_json(rows)
        return
    if not rows:
        context.console.print("No playbooks yet: `tenure playbooks apply FOLDER` publishes them.")
        return
    from rich.table import Table

    table = Table("playbook", "status", "version", "trigger", "steps")
    for row in rows:
        table.add_row(
            row["name"],
            row["status"],
            str(row["version"]),
            ", ".join(row["trigger"]),
            str(row["steps"]),
        )
    context.console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="The playbook's name."),
    version: int | None = typer.Option(
        None, "--version", min=1, help="An older published version, by number (default: current)."
    ),
    source: bool = typer.Option(False, "--source", help="Print the YAML as it was published."),
    as_json: bool = typer.Option(False, "--json", help="Print the playbook as JSON."),
) -> None:
    """Show a playbook's current version (or --version N): its definition, or its YAML."""
    from tenure.domains.automation import service

    def read(conn: Connection) -> tuple[Any, list[dict[str, Any]], Any]:
        found = service.get(conn, name)
        chosen = service.version(conn, name, version or found.version)
        return found, service.versions(conn, name), chosen

    found, versions, chosen = context.in_store(read)
    if source:
        typer.echo(chosen.source, nl=False)
        return
    data = {
        "name": found.name,
        "status": found.status,
        "version": chosen.version,
        "current": chosen.current,
        "current_version": found.version,
        "published_at": chosen.published_at,
        "definition": chosen.definition,
        "source": chosen.source,
        "versions": versions,
    }
    if as_json:
        context.print_json(data)
        return
    which = "current" if chosen.current else f"current is {found.version}"
    context.console.print(
        f"[bold]{found.name}[/] — {found.status}, version {chosen.version} of {found.versions} "
        f"({which}), published {chosen.published_at:%Y-%m-%d %H:%M}"
    )
    context.console.print(json.dumps(chosen.definition, ensure_ascii=False, indent=2))


def _set_status(name: str, paused: bool, as_json: bool) -> None:
    from tenure.domains.automation import service
    from tenure.domains.automation.models import PlaybookStatus

    status = PlaybookStatus.PAUSED if paused else PlaybookStatus.ACTIVE
    done = context.in_store(lambda conn: service.set_status(conn, _actor(), name, status))
    if as_json:
        context.print_json(done.as_dict())
        return
    already = "" if done.changed else " (already)"
    if paused:
        context.console.print(
            f"{name}: paused{already}; {done.active} enrollment(s) in progress held, "
            f"{done.held} with a step due"
        )
    else:
        context.console.print(
            f"{name}: active{already}; {done.active} enrollment(s) in progress continue, "
            f"{done.held} with a step due now"
        )


JSON_STATUS = "Print the playbook's status and its enrollments in progress / held as JSON."


@app.command("pause")
def pause(
    name: str = typer.Argument(..., help="The playbook's name."),
    as_json: bool = typer.Option(False, "--json", help=JSON_STATUS),
) -> None:
    """Pause a playbook: nobody new enrolls, and no step runs: enrollments are held, not skipped."""
    _set_status(name, paused=True, as_json=as_json)


@app.command("resume")
def resume(
    name: str = typer.Argument(..., help="The playbook's name."),
    as_json: bool = typer.Option(False, "--json", help=JSON_STATUS),
) -> None:
    """Resume a paused playbook: its held enrollments continue where they stopped."""
    _set_status(name, paused=False, as_json=as_json)


@app.command("enrollments")
def enrollments(
    name: str = typer.Argument(..., help="The playbook's name."),
    status: str | None = typer.Option(
        None, "--status", help="Only these: active, converted, completed, exited or failed."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print the enrollments as JSON."),
) -> None:
    """List a playbook's enrollments, newest first: who, where in the flow, how it ended."""
    from tenure.domains.automation import reports

    rows, _ = context.in_store(
        lambda conn: reports.enrollments(conn, name, status=status, limit=limit)
    )
    if as_json:
        context.print_json(rows)
        return
    if not rows:
        context.console.print(f"{name}: nobody enrolled yet")
        return
    from rich.table import Table

    table = Table("id", "customer", "status", "step", "next", "holdout", "reason")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["customer_external_id"]),
            str(row["status"]),
            str(row["step"]),
            str(row["next_at"] or "")[:16],
            "yes" if row["holdout"] else "",
            str(row["reason"] or ""),
        )
    context.console.print(table)


@app.command("enroll")
def enroll(
    name: str = typer.Argument(..., help="The playbook's name."),
    customer: str = typer.Argument(..., help="The customer's external id, e.g. C0000042."),
    as_json: bool = typer.Option(False, "--json", help="Print the enrollment as JSON."),
) -> None:
    """Enroll one customer in a playbook now; its conditions and policy still apply.

    The worker runs the first step at its next tick (`tenure worker --once` runs it now).
    """
    from tenure.domains.automation import service
    from tenure.domains.automation.programme import global_control_share
    from tenure.kit.timeutil import utcnow

    def enroll_one(conn: Connection) -> int:
        share = global_control_share(conn, context.settings())
        return service.enroll(conn, _actor(), name, customer, utcnow(), global_control=share).id

    made = context.in_store(enroll_one)
    if as_json:
        context.print_json({"enrollment": made, "playbook": name, "customer": customer})
        return
    context.console.print(f"{customer} enrolled in {name} (enrollment {made})")


@app.command("report")
def report(
    name: str | None = typer.Argument(
        None, help="The playbook's name (or --programme for all marketing playbooks)."
    ),
    programme: bool = typer.Option(
        False,
        "--programme",
        help="All marketing playbooks together against the global control group "
        "(automation.global_control_share).",
    ),
    window_days: int | None = typer.Option(
        None,
        "--window-days",
        min=1,
        max=730,
        help="Days after enrollment to count revenue (default: the playbook's "
        "measure.window_days, else the goal's window, else 30; the programme: "
        "automation.programme_window_days).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Show what the playbook changed: its treated customers against its holdout.

    Intent to treat: everyone assigned counts in their group, whatever their steps did. Only
    enrollments whose window has closed are compared. The primary metric the playbook
    declares, marked; the goal rate with Newcombe's 95% interval, revenue and margin per
    customer with Welch's (and CUPED on the revenue before enrollment), the still-active
    share after 30 and 90 days, each way of a random split, the sample-ratio check, and
    whether there is enough data yet. With --programme: every marketing playbook together
    against the global control. docs/experiments.md explains each figure.
    """
    from tenure.domains.automation import measure

    config = context.settings()
    if programme and name is None:
        _programme_report(config, window_days, as_json)
        return
    if programme or name is None:
        context.fail("give a playbook's name, or --programme (not both)", code=2)
    found = context.in_store(
        lambda conn: measure.measure(
            conn, name, margin_share=config.value.margin, window_days=window_days
        )
    )
    if as_json:
        context.print_json(found.as_dict())
        return
    context.console.print(_report_text(found.as_dict()), highlight=False)


def _programme_report(config: Any, window_days: int | None, as_json: bool) -> None:
    from tenure.domains.automation.programme import as_configured

    found = context.in_store(lambda conn: as_configured(conn, config, window_days=window_days))
    if as_json:
        context.print_json(found.as_dict())
        return
    context.console.print(_programme_text(found.as_dict()), highlight=False)


def _programme_text(figures: dict[str, Any]) -> str:
    share = figures["global_control_share"]
    if not share:
        return (
            "no global control group: set automation.global_control_share (e.g. 0.05) to "
            "measure all marketing playbooks together (docs/experiments.md)"
        )
    assigned, measured = figures["assigned"], figures["measured"]
    lines = [
        f"[bold]the programme[/]: every marketing playbook against the global control "
        f"({share:.1%} of customers), window {figures['window_days']} days",
        f"entered: {assigned['treated']:,} treated, {assigned['control']:,} in the global "
        f"control; measured (window closed): {measured['treated']:,} and "
        f"{measured['control']:,}",
    ]
    ratio = figures["sample_ratio"]
    if ratio is not None:
        verdict = (
            "[bold red]BROKEN: do not trust the figures below[/]" if ratio["broken"] else "sound"
        )
        lines.append(
            f"split: {ratio['observed_share']:.1%} in the control, expected "
            f"{ratio['expected_share']:.1%} (p = {ratio['p_value']:.3g}) — {verdict}"
        )
    rate = figures["purchase_rate"]
    if rate is not None:
        lines.append(
            f"[bold]PRIMARY[/] purchase within the window: {rate['treated']:.1%} treated vs "
            f"{rate['control']:.1%} control, difference {rate['difference'] * 100:+.1f} points "
            f"(95% interval {rate['low'] * 100:+.1f} to {rate['high'] * 100:+.1f})"
        )
    for label, key in (
        ("revenue per customer", "revenue_per_customer"),
        ("margin per customer", "margin_per_customer"),
    ):
        d = figures[key]
        if d is not None:
            lines.append(
                f"  (exploratory) {label}: {d['treated']:,.2f} vs {d['control']:,.2f}, "
                f"difference {d['difference']:,.2f} (95% interval {d['low']:,.2f} to "
                f"{d['high']:,.2f})"
            )
    if not figures["enough"]:
        lines.append(
            f"[yellow]not enough data yet[/]: about {figures['still_needed']:,} more measured "
            f"customers are needed to detect a "
            f"{figures['detectable_difference'] * 100:g}-point difference in the purchase rate "
            f"({measured['treated'] + measured['control']:,} so far)"
        )
    return "\n".join(lines)


def _report_text(figures: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.1%}"

    def money(x: float | None) -> str:
        return "—" if x is None else f"{x:,.2f}"

    assigned, measured = figures["assigned"], figures["measured"]
    lines = [
        f"[bold]{figures['playbook']}[/]: treated against holdout "
        f"({pct(figures['holdout_share'])} held out), window {figures['window_days']} days",
        f"assigned: {assigned['treated']:,} treated, {assigned['holdout']:,} holdout; "
        f"measured (window closed): {measured['treated']:,} and {measured['holdout']:,}",
    ]
    ratio = figures["sample_ratio"]
    if ratio is not None:
        verdict = (
            "[bold red]BROKEN: do not trust the figures below[/]" if ratio["broken"] else "sound"
        )
        lines.append(
            f"split: {pct(ratio['observed_share'])} held out, expected "
            f"{pct(ratio['expected_share'])} (p = {ratio['p_value']:.3g}) — {verdict}"
        )
    primary = figures.get("primary_metric", "goal_rate")
    lines.append(
        f"primary metric: [bold]{primary}[/] (declared before the data; every other line "
        "is exploratory)"
    )
    rate = figures["goal_rate"]
    if figures["goal"] is None:
        lines.append("goal: none declared")
    elif rate is None:
        lines.append(f"goal ({figures['goal']}): nobody measured yet")
    else:
        lines.append(
            _marked(primary == "goal_rate")
            + f"goal ({figures['goal']}): {_rate_words(rate)}, relative lift "
            f"{pct(rate['relative_lift'])}"
        )
    for label, key, metric in (
        ("revenue per customer", "revenue_per_customer", "revenue_per_customer"),
        ("  with CUPED", "revenue_per_customer_adjusted", "revenue_per_customer"),
        ("margin per customer", "margin_per_customer", "margin_per_customer"),
    ):
        d = figures[key]
        if d is not None:
            extra = (
                f", {pct(d['variance_reduction'])} of the variance removed"
                if "variance_reduction" in d
                else ""
            )
            lines.append(
                _marked(primary == metric)
                + f"{label}: {money(d['treated'])} vs {money(d['holdout'])}, difference "
                f"{money(d['difference'])} (95% interval {money(d['low'])} to "
                f"{money(d['high'])}){extra}"
            )
    for days in (30, 90):
        kept = figures.get(f"still_active_{days}d")
        if kept is not None and kept["share"] is not None:
            lines.append(
                _marked(primary == f"still_active_{days}d")
                + f"still active after {days} days: {_rate_words(kept['share'])} "
                f"({kept['measured']['treated']:,} and {kept['measured']['holdout']:,} "
                f"enrollments {days}+ days old)"
            )
    for way in figures.get("variants", []):
        d = way["goal_rate"]
        shown = _rate_words(d) if d is not None else "nobody measured yet"
        lines.append(
            f"  (exploratory) split {way['step']} → {way['way']} ({pct(way['share'])}, "
            f"{way['treated']:,} treated): {shown}"
        )
    if not figures["enough"]:
        lines.append("[yellow]not enough data yet[/]" + _still_needed(figures))
    return "\n".join(lines)


def _still_needed(figures: dict[str, Any]) -> str:
    """Say what the primary metric needs, in its own terms: a rate's points or money."""
    needed = figures["customers_needed"]
    found = figures.get("needed_for_primary") or {}
    metric = found.get("metric", "goal_rate")
    measured = figures["measured"]
    so_far = found.get("measured", measured["treated"] + measured["holdout"])
    money = {"revenue_per_customer": "revenue", "margin_per_customer": "margin"}
    if not needed:
        if metric in money:
            return (
                ": how many are needed shows once measured customers have spent "
                f"({so_far:,} so far)"
            )
        return ""
    if metric.startswith("still_active_"):
        days = metric.removeprefix("still_active_").removesuffix("d")
        return (
            f": about {needed:,} customers enrolled at least {days} days ago are needed to "
            f"detect a 5-point difference in the share still active after {days} days "
            f"({so_far:,} so far)"
        )
    if metric in money:
        return (
            f": about {needed:,} measured customers are needed to detect a difference of "
            f"{found['difference']:,.2f} in {money[metric]} per customer (a tenth of the "
            f"holdout's) ({so_far:,} so far)"
        )
    return (
        f": about {needed:,} measured customers are needed to detect a 5-point "
        f"difference in the goal rate ({so_far:,} so far)"
    )


def _marked(primary: bool) -> str:
    return "[bold]PRIMARY[/] " if primary else "  (exploratory) "


def _rate_words(d: dict[str, Any]) -> str:
    return (
        f"{d['treated']:.1%} treated vs {d['holdout']:.1%} holdout, difference "
        f"{d['difference'] * 100:+.1f} points (95% interval {d['low'] * 100:+.1f} to "
        f"{d['high'] * 100:+.1f})"
    )


@app.command("presets")
def presets(
    folder: Path = typer.Argument(
        Path("playbooks"), help="Where to copy the shipped playbooks (default ./playbooks)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print each file copied or kept as JSON."),
) -> None:
    """Copy the shipped playbooks (lead welcome, onboarding, win-back, NPS) to edit them."""
    from tenure.domains.automation.presets import FOLDER

    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for file in sorted(FOLDER.glob("*.yaml")):
        target = folder / file.name
        if target.exists():
            done.append({"file": str(target), "outcome": "kept"})
            continue
        shutil.copyfile(file, target)
        done.append({"file": str(target), "outcome": "copied"})
    if as_json:
        context.print_json(done)
        return
    for item in done:
        shown = "kept (it exists)" if item["outcome"] == "kept" else "copied"
        context.console.print(f"{item['file']}: {shown}")
    context.console.print(f"Edit them, then: tenure playbooks apply {folder}")


@app.command("schema")
def schema(
    as_json: bool = typer.Option(
        True, "--json", help="Print it as JSON (the only form it has; accepted for scripts)."
    ),
) -> None:
    """Print the JSON Schema of a playbook file (for editors' completion and checks)."""
    from tenure.domains.automation.definition import json_schema

    context.print_json(json_schema())
