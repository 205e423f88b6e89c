"""``tenure demo check``: print how a scoring run of the demo company compares with its truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tenure.cli import context


def check(
    truth: Path = typer.Option(
        Path("tenure-demo-truth"),
        "--truth",
        help="Folder with truth.parquet and truth.json (where `tenure demo` wrote them).",
    ),
    run: int | None = typer.Option(
        None, "--run", min=1, help="Scoring run to check (default: the latest)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Compare a scoring run with the demo company's truth.

    For the run's day: per stage, the share of customers truly alive and truly gone; how many
    truly gone buyers the run placed in churned or declining; how well P(alive) and churn risk
    are calibrated (reliability table, Brier score, ROC-AUC, expected calibration error); and
    CLV against the true expected value; and the invariants of the stages (docs/stages.md); and
    each demo playbook's estimated uplift with its 95% interval beside the true effect; and the
    NPS of the survey answers by each respondent's true state (healthy, declining, leaving).
    Each target is printed beside its figure; the command exits with 1 when a target is missed,
    an invariant broken, or the NPS not ordered as the truth implies.
    """
    from tenure.demo.check import check_playbooks, check_run
    from tenure.demo.listening import read_truth
    from tenure.demo.responses import read_effects
    from tenure.demo.survey_check import check_surveys
    from tenure.demo.truth import Truth
    from tenure.kit.errors import TenureError

    settings = context.settings()
    try:
        known = Truth.read(truth)
        with context.engine(settings).connect() as conn:
            report = check_run(
                conn,
                known,
                run,
                horizon_days=settings.churn.horizon_days,
                timezone=settings.business.timezone,
            )
            effects = read_effects(truth)
            if effects is not None:
                report["playbooks"] = check_playbooks(conn, effects, settings.value.margin)
            heard = read_truth(truth)
            if heard is not None:
                report["surveys"] = check_surveys(conn, heard)
    except TenureError as exc:
        context.fail(exc.message)
    if as_json:
        context.print_json(report)
    else:
        _print(report)
    broken = any(row["violations"] for row in report["invariants"])
    disordered = (report.get("surveys") or {}).get("ordered") is False
    if broken or disordered or any(v["met"] is False for v in report["verdicts"]):
        raise typer.Exit(1)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print(report: dict[str, Any]) -> None:
    from rich.table import Table

    out = context.console
    title = (
        f"Run {report['run_id']} as of {report['as_of']} against the truth "
        f"({report['profile']}, {report['customers']:,} customers)"
    )
    stages = Table("stage", "customers", "truly alive", "truly gone", title=title)
    for row in report["stages"]:
        stages.add_row(
            row["stage"],
            f"{row['customers']:,}",
            _share(row["truly_alive"]),
            _share(row["truly_gone"]),
        )
    out.print(stages)
    recall = report["gone_in_leaving_stages"]
    where = ", ".join(f"{s} {n:,}" for s, n in recall["gone_by_stage"].items())
    out.print(
        f"Truly gone buyers: {recall['truly_gone']:,}, of whom "
        f"{recall['in_churned_or_declining']:,} ({_share(recall['recall'])}) are churned or "
        f"declining ({where}); not counted: {recall['without_paid_purchase']:,} whose every "
        "order was refunded or cancelled (leads to the store)."
    )
    out.print(
        f"Of the {recall['missed']:,} missed, {recall['missed_gone_within_30_days']:,} left "
        "within the 30 days before the run (too recently to have missed a purchase or a visit)."
    )
    for key, name in (("p_alive", "P(alive) vs truly alive"), ("churn_risk", "churn risk")):
        _print_calibration(report[key], name)
    _print_clv(report["clv"])
    _print_sequences(report.get("sequences") or [])
    for row in report["invariants"]:
        mark = (
            "[green]holds[/]"
            if row["violations"] == 0
            else f"[red]{row['violations']:,} break it[/]"
        )
        out.print(f"Invariant: {row['invariant']} — {mark}")
    verdicts = Table("target", "measured", "goal", "", title="Targets")
    for v in report["verdicts"]:
        mark = {True: "[green]met[/]", False: "[red]missed[/]", None: "—"}[v["met"]]
        goal = ("≤ " if v["at_most"] else "≥ ") + (
            _number(v["goal"]) if v["at_most"] else _share(v["goal"])
        )
        value = _number(v["value"]) if v["at_most"] else _share(v["value"])
        verdicts.add_row(v["target"], value, goal, mark)
    out.print(verdicts)
    if report.get("playbooks"):
        _print_playbooks(report["playbooks"])
    if report.get("surveys"):
        _print_surveys(report["surveys"])


def _print_surveys(data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(
        "true state",
        "answers",
        "NPS",
        title=(
            f"NPS answers by true state: {data['answered']:,} of {data['invited']:,} invited "
            f"({_share(data['response_share'])})"
        ),
    )
    for row in data["by_state"]:
        nps = "—" if row["nps"] is None else f"{row['nps']:+.0f}"
        table.add_row(row["state"], f"{row['answers']:,}", nps)
    context.console.print(table)
    mark = {True: "[green]holds[/]", False: "[red]broken[/]", None: "— (a state without answers)"}
    context.console.print(
        f"NPS ordered as the truth implies (healthy > declining > leaving): {mark[data['ordered']]}"
    )


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pts"


def _print_playbooks(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(
        "playbook",
        "treated",
        "holdout",
        "estimated uplift",
        "95% interval",
        "true effect",
        "covered",
        title="Playbooks: the measured uplift of the goal rate against the true effect",
    )
    for row in rows:
        interval = (
            "—"
            if row["low"] is None
            else f"{row['low'] * 100:+.1f} to {row['high'] * 100:+.1f} pts"
        )
        mark = {True: "[green]yes[/]", False: "[yellow]no[/]", None: "—"}[row["covered"]]
        table.add_row(
            row["playbook"],
            f"{row['treated']:,}",
            f"{row['holdout']:,}",
            _points(row["estimate"]),
            interval,
            _points(row["true_uplift"]),
            mark,
        )
    context.console.print(table)
    first = rows[0]
    context.console.print(
        f"Measured: the enrollments made at least {first['window_days']} days before "
        f"{first['as_of'][:10]} (the day after the history), goal: a purchase within "
        f"{first['window_days']} days of enrolling; the true effect from effects.json. A 95% "
        "interval misses the true effect about one time in twenty."
    )


def _print_sequences(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not rows:
        return
    table = Table(
        "level",
        "A → B",
        "customers",
        "planted lag",
        "found lag",
        "rank",
        "z",
        title="Planted purchase sequences",
    )
    for row in rows:
        found = row["found"]
        table.add_row(
            row["level"],
            f"{row['a']} → {row['b']}",
            f"{row['planted_customers']:,}",
            f"{row['planted_lag_days']:.0f}",
            f"{row['found_lag_median']:.0f}" if found else "[red]not found[/]",
            str(row["rank"]) if found else "—",
            f"{row['z']:.1f}" if found else "—",
        )
    context.console.print(table)


def _print_calibration(data: dict[str, Any], name: str) -> None:
    from rich.table import Table

    out = context.console
    if "skipped" in data:
        out.print(f"{name}: not checked — {data['skipped']}")
        return
    table = Table(
        "predicted",
        "customers",
        "mean predicted",
        "observed",
        title=(
            f"{name}: Brier {_number(data['brier'])}, ROC-AUC {_number(data['roc_auc'])}, "
            f"ECE {_number(data['ece'])} ({data['customers']:,} buyers)"
        ),
    )
    for row in data["reliability"]:
        table.add_row(
            f"{row['from']:.0%}–{row['to']:.0%}",
            f"{row['customers']:,}",
            _share(row["predicted"]),
            _share(row["observed"]),
        )
    out.print(table)


def _print_clv(data: dict[str, Any]) -> None:
    out = context.console
    if "skipped" in data:
        out.print(f"CLV: not checked — {data['skipped']}")
        return
    out.print(
        f"CLV of {data['buyers']:,} buyers: customer equity {data['equity_predicted']:,.0f} "
        f"predicted vs {data['equity_true']:,.0f} true ({data['equity_error']:+.1%}); "
        f"mean absolute error {data['mean_absolute_error']:,.2f} per buyer "
        f"(true mean {data['mean_true']:,.2f}); correlation {_number(data['correlation'])}."
    )
