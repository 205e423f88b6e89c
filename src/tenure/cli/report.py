"""``tenure report …``: read what the scoring runs found."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from sqlalchemy import Connection

from tenure.cli import context
from tenure.cli.words import Words, lang_option, words

T = TypeVar("T")

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Reports of the latest scoring run (run `tenure score` first).",
    no_args_is_help=True,
)
NOTHING_SCORED = "nothing has been scored yet: run `tenure score` (or `tenure demo`)"


def _query(query: Callable[[Connection], T]) -> T:
    """Run a report query on the (migrated) store."""
    eng = context.engine(context.settings())
    with eng.connect() as conn:
        return query(conn)


def read_or_fail(query: Callable[[Connection], T | None], w: Words | None = None) -> T:
    """Run a report query; fail kindly (in ``w``'s language) when nothing has been scored yet."""
    result = _query(query)
    if result is None:
        context.fail(w(NOTHING_SCORED) if w else NOTHING_SCORED)
    return result


def print_csv(header: list[str], rows: list[dict[str, Any]]) -> None:
    """Print ``rows`` (dicts keyed by ``header``) as CSV, formula-like text quoted."""
    from tenure.kit import spreadsheet

    writer = csv.writer(sys.stdout)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet.cell(row[column]) for column in header])


@app.command("stages")
def stages(
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the distribution as CSV."),
) -> None:
    """Stage distribution of the latest run, and the moves between stages that led to it."""
    from tenure.cli.score import print_stages
    from tenure.domains.scoring.reports import stage_report

    w = words(lang)
    report = read_or_fail(stage_report, w)
    data = report.as_dict()
    if as_json:
        context.print_json(data)
        return
    if as_csv:
        print_csv(["stage", "customers", "share"], data["stages"])
        return
    title = w("Stages as of {day} (run {run})", day=w.day(report.as_of), run=report.run_id)
    print_stages(report.stages, title, w)
    if report.flow:
        from rich.table import Table

        flow = Table(w("from"), w("to"), w("customers"), title=w("Moves since the previous run"))
        for move in data["flow"][:15]:
            first = w.stage(move["from"]) if move["from"] else w("(first seen)")
            flow.add_row(first, w.stage(move["to"]), w.number(move["customers"]))
        context.console.print(flow)


@app.command("segments")
def segments(
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the RFM segments as CSV."),
) -> None:
    """RFM segments and value × loyalty quadrants of the latest run, with their CLV."""
    from rich.table import Table

    from tenure.domains.scoring.reports import segment_report

    w = words(lang)
    report = read_or_fail(segment_report, w)
    if as_json:
        context.print_json(report)
        return
    if as_csv:
        print_csv(["segment", "customers", "mean_clv", "total_clv"], report["rfm_segments"])
        return
    parts = (
        ("rfm_segments", "rfm_segment", "RFM segments as of {day} (run {run})"),
        ("value_quadrants", "value_quadrant", "Value × loyalty as of {day} (run {run})"),
    )
    for key, kind, title in parts:
        table = Table(
            w("segment"),
            w("customers"),
            w("mean CLV"),
            w("total CLV"),
            title=w(title, day=w.day(report["as_of"]), run=report["run_id"]),
        )
        for row in report[key]:
            table.add_row(
                w.label(kind, row["segment"]),
                w.number(row["customers"]),
                w.money(row["mean_clv"]),
                w.money(row["total_clv"]),
            )
        context.console.print(table)


@app.command("runs")
def runs(
    limit: int = typer.Option(20, "--limit", help="How many runs, newest day first."),
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
) -> None:
    """List the scoring runs: day, status, customers, moves, time, the value model's fit."""
    from rich.table import Table

    from tenure.domains.scoring.reports import run_list

    w = words(lang)
    listed = _query(lambda conn: run_list(conn, limit))
    if as_json:
        context.print_json(listed)
        return
    if not listed:
        context.fail(w(NOTHING_SCORED))
    headers = ("run", "as of", "status", "customers", "moved", "seconds", "value model")
    table = Table(
        *(w(h) for h in headers), w("LL"), w("equity"), w("churn AUC"), title=w("Scoring runs")
    )
    for run in listed:
        seconds = sum((run["seconds"] or {}).values())
        table.add_row(
            str(run["run_id"]),
            w.day(run["as_of"]),
            w.label("run_status", run["status"]),
            w.number(run["customers"] or 0),
            w.number(run["transitions"] or 0),
            w.number(seconds, 1),
            run["value_model"] or "—",
            w.number(run["log_likelihood"], 1) if run["log_likelihood"] else "—",
            w.money(run["customer_equity"], 0) if run["customer_equity"] else "—",
            w.number(run["churn_roc_auc"], 3) if run["churn_roc_auc"] else "—",
        )
    context.console.print(table)


@app.command("churn")
def churn(
    top: int = typer.Option(20, "--top", min=1, help="How many of the riskiest customers."),
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Show the churn model against its baselines, and the riskiest customers with reasons.

    The model is judged on a later time split than it learned from: ROC-AUC and PR-AUC (higher
    is better) and the Brier score (lower is better), next to two baselines — days since the
    last purchase, and 1 − P(alive) of the value model (docs/stages.md).
    """
    from tenure.domains.scoring.reports import churn_report
    from tenure.kit.i18n import sentence

    w = words(lang)
    report = read_or_fail(lambda conn: churn_report(conn, top), w)
    if as_json:
        context.print_json(report)
        return
    model = report["model"]
    if "metrics" not in model:
        why = sentence(model.get("skipped", "?"), w.lang)
        context.fail(w("no churn model in run {run}: {why}", run=report["run_id"], why=why))
    _print_churn_quality(model, w)
    _print_riskiest(report["riskiest"], top, w)


def _print_churn_quality(model: dict[str, Any], w: Words) -> None:
    from rich.table import Table

    title = w(
        "Churn in the next {days} days — learned as of {train}, tested as of {test} "
        "({buyers} buyers, {rate} churned)",
        days=model["horizon_days"],
        train=w.day(model["train_as_of"]),
        test=w.day(model["test_as_of"]),
        buyers=w.number(model["test"]["customers"]),
        rate=w.percent(model["test"]["churn_rate"]),
    )
    quality = Table(w("score"), "ROC-AUC", "PR-AUC", "Brier", title=title)
    names = {
        "model": w("churn model"),
        "days_since_last": w("days since last purchase"),
        "one_minus_p_alive": w("1 − P(alive), transaction model"),
    }
    for key, name in names.items():
        m = model["metrics"].get(key, {})
        if "roc_auc" in m:
            quality.add_row(
                name, w.number(m["roc_auc"], 3), w.number(m["pr_auc"], 3), w.number(m["brier"], 4)
            )
    context.console.print(quality)


def _print_riskiest(riskiest: list[dict[str, Any]], top: int, w: Words) -> None:
    from rich.table import Table

    from tenure.kit.i18n import reason_text

    risky = Table(
        w("customer"),
        w("stage"),
        w("risk"),
        w("CLV"),
        w("why"),
        title=w("Riskiest {top} customers", top=top),
    )
    for row in riskiest:
        why = ("；" if w.lang == "zh" else "; ").join(
            reason_text(r["feature"], r["value"], w.lang) for r in row["churn_reasons"] or []
        )
        risky.add_row(
            f"{row['customer_id']} {row['name'] or row['email'] or ''}".strip(),
            w.stage(row["stage"]),
            w.percent(row["churn_risk"], 0),
            w.money(row["clv"] or 0, 0),
            why,
        )
    context.console.print(risky)


@app.command("flow")
def flow(
    from_run: int | None = typer.Option(
        None, "--from", help="Earlier run (default: the one before --to)."
    ),
    to_run: int | None = typer.Option(None, "--to", help="Later run (default: the latest)."),
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the flow as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the flow as CSV."),
) -> None:
    """How customers moved between the stages of two runs, stays included (a Sankey's data)."""
    from rich.table import Table

    from tenure.domains.scoring.reports import stage_flow

    w = words(lang)
    report = read_or_fail(lambda conn: stage_flow(conn, from_run, to_run), w)
    if as_json:
        context.print_json(report)
        return
    if as_csv:
        print_csv(["from", "to", "customers"], report["flow"])
        return
    if report["from_run"] is None:
        context.console.print(w("Only one run so far: score another day to see the flow."))
        return
    table = Table(
        w("from"),
        w("to"),
        w("customers"),
        title=w(
            "Stage flow from run {first} to run {second}",
            first=report["from_run"],
            second=report["to_run"],
        ),
    )
    for row in report["flow"]:
        table.add_row(w.stage(row["from"]), w.stage(row["to"]), w.number(row["customers"]))
    context.console.print(table)
