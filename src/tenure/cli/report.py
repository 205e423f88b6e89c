"""``tenure report …``: read what the scoring runs found."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from sqlalchemy import Connection

from tenure.cli import context

T = TypeVar("T")

app = typer.Typer(
    help="Reports of the latest scoring run (run `tenure score` first).", no_args_is_help=True
)
NOTHING_SCORED = "nothing has been scored yet: run `tenure score` (or `tenure demo`)"


def _query(query: Callable[[Connection], T]) -> T:
    """Run a report query on the (migrated) store."""
    eng = context.engine(context.settings())
    with eng.connect() as conn:
        return query(conn)


def read_or_fail(query: Callable[[Connection], T | None]) -> T:
    """Run a report query; fail kindly when nothing has been scored yet."""
    result = _query(query)
    if result is None:
        context.fail(NOTHING_SCORED)
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
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the distribution as CSV."),
) -> None:
    """Stage distribution of the latest run, and the moves between stages that led to it."""
    from tenure.cli.score import print_stages
    from tenure.domains.scoring.reports import stage_report

    report = read_or_fail(stage_report)
    data = report.as_dict()
    if as_json:
        context.print_json(data)
        return
    if as_csv:
        print_csv(["stage", "customers", "share"], data["stages"])
        return
    print_stages(report.stages, f"Stages as of {report.as_of} (run {report.run_id})")
    if report.flow:
        from rich.table import Table

        flow = Table("from", "to", "customers", title="Moves since the previous run")
        for move in data["flow"][:15]:
            flow.add_row(move["from"] or "(first seen)", move["to"], f"{move['customers']:,}")
        context.console.print(flow)


@app.command("segments")
def segments(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the RFM segments as CSV."),
) -> None:
    """RFM segments and value × loyalty quadrants of the latest run, with their CLV."""
    from rich.table import Table

    from tenure.domains.scoring.reports import segment_report

    report = read_or_fail(segment_report)
    if as_json:
        context.print_json(report)
        return
    if as_csv:
        print_csv(["segment", "customers", "mean_clv", "total_clv"], report["rfm_segments"])
        return
    for key, title in (("rfm_segments", "RFM segments"), ("value_quadrants", "Value × loyalty")):
        table = Table(
            "segment",
            "customers",
            "mean CLV",
            "total CLV",
            title=f"{title} as of {report['as_of']} (run {report['run_id']})",
        )
        for row in report[key]:
            table.add_row(
                row["segment"],
                f"{row['customers']:,}",
                f"{row['mean_clv']:,.2f}",
                f"{row['total_clv']:,.2f}",
            )
        context.console.print(table)


@app.command("runs")
def runs(
    limit: int = typer.Option(20, "--limit", help="How many runs, newest day first."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
) -> None:
    """List the scoring runs: day, status, customers, moves, time, the value model's fit."""
    from rich.table import Table

    from tenure.domains.scoring.reports import run_list

    listed = _query(lambda conn: run_list(conn, limit))
    if as_json:
        context.print_json(listed)
        return
    if not listed:
        context.fail(NOTHING_SCORED)
    table = Table(
        "run",
        "as of",
        "status",
        "customers",
        "moved",
        "seconds",
        "value model",
        "LL",
        "equity",
        "churn AUC",
        title="Scoring runs",
    )
    for run in listed:
        seconds = sum((run["seconds"] or {}).values())
        table.add_row(
            str(run["run_id"]),
            run["as_of"],
            run["status"],
            f"{run['customers'] or 0:,}",
            f"{run['transitions'] or 0:,}",
            f"{seconds:.1f}",
            run["value_model"] or "—",
            f"{run['log_likelihood']:,.1f}" if run["log_likelihood"] else "—",
            f"{run['customer_equity']:,.0f}" if run["customer_equity"] else "—",
            f"{run['churn_roc_auc']:.3f}" if run["churn_roc_auc"] else "—",
        )
    context.console.print(table)


@app.command("churn")
def churn(
    top: int = typer.Option(20, "--top", min=1, help="How many of the riskiest customers."),
    lang: str = typer.Option("en", "--lang", help="Language of the reasons: en or zh."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Show the churn model against its baselines, and the riskiest customers with reasons.

    The model is judged on a later time split than it learned from: ROC-AUC and PR-AUC (higher
    is better) and the Brier score (lower is better), next to two baselines — days since the
    last purchase, and 1 − P(alive) of the value model (docs/stages.md).
    """
    from rich.table import Table

    from tenure.domains.scoring.reports import churn_report
    from tenure.kit.i18n import reason_text

    report = read_or_fail(lambda conn: churn_report(conn, top))
    if as_json:
        context.print_json(report)
        return
    model = report["model"]
    if "metrics" not in model:
        context.fail(f"no churn model in run {report['run_id']}: {model.get('skipped', '?')}")
    quality = Table(
        "score",
        "ROC-AUC",
        "PR-AUC",
        "Brier",
        title=(
            f"Churn in the next {model['horizon_days']} days — learned as of "
            f"{model['train_as_of']}, tested as of {model['test_as_of']} "
            f"({model['test']['customers']:,} buyers, {model['test']['churn_rate']:.1%} churned)"
        ),
    )
    names = {
        "model": "churn model",
        "days_since_last": "days since last purchase",
        "one_minus_p_alive": "1 − P(alive), transaction model",
    }
    for key, label in names.items():
        m = model["metrics"].get(key, {})
        if "roc_auc" in m:
            quality.add_row(label, f"{m['roc_auc']:.3f}", f"{m['pr_auc']:.3f}", f"{m['brier']:.4f}")
    context.console.print(quality)
    risky = Table("customer", "stage", "risk", "CLV", "why", title=f"Riskiest {top} customers")
    for row in report["riskiest"]:
        why = "; ".join(
            reason_text(r["feature"], r["value"], lang) for r in row["churn_reasons"] or []
        )
        risky.add_row(
            f"{row['customer_id']} {row['name'] or row['email'] or ''}".strip(),
            row["stage"],
            f"{row['churn_risk']:.0%}",
            f"{row['clv'] or 0:,.0f}",
            why,
        )
    context.console.print(risky)


@app.command("flow")
def flow(
    from_run: int | None = typer.Option(
        None, "--from", help="Earlier run (default: the one before --to)."
    ),
    to_run: int | None = typer.Option(None, "--to", help="Later run (default: the latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the flow as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the flow as CSV."),
) -> None:
    """How customers moved between the stages of two runs, stays included (a Sankey's data)."""
    from rich.table import Table

    from tenure.domains.scoring.reports import stage_flow

    report = read_or_fail(lambda conn: stage_flow(conn, from_run, to_run))
    if as_json:
        context.print_json(report)
        return
    if as_csv:
        print_csv(["from", "to", "customers"], report["flow"])
        return
    if report["from_run"] is None:
        context.console.print("Only one run so far: score another day to see the flow.")
        return
    table = Table(
        "from",
        "to",
        "customers",
        title=f"Stage flow from run {report['from_run']} to run {report['to_run']}",
    )
    for row in report["flow"]:
        table.add_row(row["from"], row["to"], f"{row['customers']:,}")
    context.console.print(table)
