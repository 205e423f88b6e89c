"""``tenure report kpis|cohorts|channels``: the KPIs of the latest run, as a person reads them."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from tenure.cli import context
from tenure.cli.report import app, print_csv, read_or_fail

NO_KPIS = "the latest run has no KPIs: run `tenure score` again with this version of Tenure"


def _kpis() -> dict[str, Any]:
    from tenure.domains.scoring.reports import kpi_report

    report = read_or_fail(kpi_report)
    return report


FORMATS = {
    "int": "{:,.0f}",
    "share": "{:.1%}",
    "money": "{:,.2f}",
    "float": "{:,.2f}",
    "nps": "{:+.1f}",
}


def _num(value: float | None, kind: str = "int") -> str:
    return "—" if value is None else FORMATS[kind].format(value)


def _change(now: float | None, before: float | None, more_is_good: bool = True) -> Text:
    """Write the change in %, green when it is good news (fewer lapsed customers is)."""
    if now is None or not before:
        return Text("—")
    change = (now - before) / abs(before)
    if change == 0:
        return Text(f"{change:+.1%}")
    good = (change > 0) == more_is_good
    return Text(f"{change:+.1%}", style="green" if good else "red")


WINDOW_ROWS = (
    ("new customers", "new_customers", "int"),
    ("revenue (paid)", "revenue", "money"),
    ("orders", "orders", "int"),
    ("buyers", "buyers", "int"),
    ("average order value", "aov", "money"),
    ("lapsed ({days} days since their last paid order)", "lapsed", "int"),
    ("won back", "won_back", "int"),
    ("active customers at the end", "active", "int"),
)
FEWER_IS_BETTER = {"lapsed"}  # their change is green when it falls
BASE_ROWS = (
    ("customers (leads included)", "customers", "int"),
    ("buyers", "buyers", "int"),
    ("active customers", "active_customers", "int"),
    ("lapsed customers (no paid order in {days} days)", "lapsed_customers", "int"),
    ("lead → customer conversion", "lead_conversion_rate", "share"),
    ("median days to convert", "median_days_to_convert", "int"),
    ("buyers who bought before their acquisition day", "bought_before_acquired", "int"),
    ("first → second purchase in 90 days", "second_purchase_rate_90d", "share"),
    ("repurchase rate", "repurchase_rate", "share"),
    ("average order value, 365 days", "aov_365", "money"),
    ("orders per buyer, 365 days", "frequency_365", "float"),
    ("won back, 90 days", "won_back_90", "int"),
    ("win-back rate, 90 days", "win_back_rate_90", "share"),
    ("complaint rate, 90 days", "complaint_rate_90", "share"),
    ("cross-sell rate", "cross_sell_rate", "share"),
    ("revenue share of the top 20%", "top20_revenue_share", "share"),
)
VALUE_ROWS = (
    ("paid revenue so far, total", "paid_revenue_total", "money"),
    ("paid revenue so far, per buyer", "paid_revenue_mean", "money"),
    ("gross margin so far, total", "gross_margin_total", "money"),
    ("gross margin so far, per buyer", "gross_margin_mean", "money"),
    ("predictive CLV, total", "predictive_clv_total", "money"),
    ("predictive CLV, mean", "predictive_clv_mean", "money"),
    ("customer equity", "customer_equity", "money"),
)
MONTH_COLUMNS = (
    "month",
    "new_customers",
    "active_start",
    "lapsed",
    "won_back",
    "churn_rate",
    "retention_rate",
    "revenue",
    "orders",
    "buyers",
    "aov",
    "frequency",
    "returning_share",
    "leads",
    "leads_converted",
)


@app.command("kpis")
def kpis(
    monthly: bool = typer.Option(False, "--monthly", help="Print the month-by-month series."),
    as_json: bool = typer.Option(False, "--json", help="Print every KPI as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the monthly series as CSV."),
) -> None:
    """Show the KPIs of the latest run: the last 30 days against the 30 before, the base, value.

    Every formula is in docs/metrics.md. `--monthly` adds new customers, retention and churn,
    revenue, AOV and more for every calendar month.
    """
    report = _kpis()
    if as_json:
        context.print_json(report)
        return
    if as_csv:
        print_csv(list(MONTH_COLUMNS), report["monthly"])
        return
    # lapsed = no paid order for churn_after_days; older runs did not keep the number
    days = report.get("churn_after_days", "churn_after_days")
    now, before = report["window"]["current"], report["window"]["previous"]
    window = Table(
        "KPI",
        f"{now['from']} … {now['to']}",
        f"{before['from']} … {before['to']}",
        "change",
        title=f"The last 30 days (run {report['run_id']}, as of {report['as_of']})",
    )
    for label, key, kind in WINDOW_ROWS:
        window.add_row(
            label.format(days=days),
            _num(now[key], kind),
            _num(before[key], kind),
            _change(now[key], before[key], more_is_good=key not in FEWER_IS_BETTER),
        )
    context.console.print(window)
    _print_base(report, days)
    _print_stages(report)
    if monthly:
        shown = {
            "month": "month",
            "new_customers": "new",
            "active_start": "active",
            "lapsed": "lapsed",
            "won_back": "won back",
            "churn_rate": "churn",
            "revenue": "revenue",
            "aov": "AOV",
            "returning_share": "returning",
        }
        table = Table(*shown.values(), title="Month by month (* = partial; all columns: --csv)")
        table.columns[0].no_wrap = True
        for row in report["monthly"]:
            table.add_row(*(_month_cell(row, c) for c in shown))
        context.console.print(table)


def _print_base(report: dict[str, Any], days: object) -> None:
    base = Table("KPI", "value", title=f"The customer base as of {report['as_of']}")
    for label, key, kind in BASE_ROWS:
        base.add_row(label.format(days=days), _num(report["base"].get(key), kind))
    for label, key, kind in VALUE_ROWS:
        base.add_row(label, _num(report["value"].get(key), kind))
    nps = report["nps"]
    base.add_row(
        "NPS (latest answer per customer, 365 days)",
        f"{_num(nps['overall']['nps'], 'nps')} ({nps['overall']['responses']:,} answers)",
    )
    context.console.print(base)


def _print_stages(report: dict[str, Any]) -> None:
    nps = report["nps"]
    by_stage = Table("stage", "customers", "NPS", "answers", title="Stages and their NPS")
    for stage, count in report["stages"].items():
        score = nps["by_stage"].get(stage, {})
        by_stage.add_row(
            stage, f"{count:,}", _num(score.get("nps"), "nps"), _num(score.get("responses"))
        )
    context.console.print(by_stage)
    context.console.print(
        "churned is a stage, decided by the stage rules (docs/stages.md); its count may differ "
        "from the lapsed customers above, who are every buyer without a recent paid order "
        "(docs/metrics.md)."
    )


def _month_cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if column == "month":
        return str(value) + ("" if row["complete"] else " *")
    if column in ("churn_rate", "retention_rate", "returning_share"):
        return _num(value, "share")
    if column == "revenue":
        return _num(value)
    if column in ("aov", "frequency"):
        return _num(value, "float")
    return _num(value)


def _heat(share: float | None) -> Text:
    if share is None:
        return Text("")
    shade = int(40 + 180 * min(max(share, 0.0), 1.0))
    return Text(f"{share:.0%}", style=f"black on rgb({255 - shade // 2},{255 - shade // 4},255)")


@app.command("cohorts")
def cohorts(
    months: int = typer.Option(12, "--months", min=1, help="How many months after the first."),
    as_json: bool = typer.Option(False, "--json", help="Print the matrix as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the matrix as CSV."),
) -> None:
    """Show the monthly cohort retention matrix of the latest run.

    A row is the customers whose first paid purchase fell in that month; column k is the share
    of them who bought in the k-th month after it (month 0 is 100%).
    """
    report = _kpis()
    rows = report["cohorts"]["cohorts"]
    if as_json:
        context.print_json({"run_id": report["run_id"], "as_of": report["as_of"], "cohorts": rows})
        return
    width = max((len(r["retention"]) for r in rows), default=0)
    if as_csv:
        header = ["cohort", "customers", *(f"m{k}" for k in range(width))]
        print_csv(
            header,
            [
                {"cohort": r["cohort"], "customers": r["customers"]}
                | {f"m{k}": v for k, v in enumerate(r["retention"])}
                | {f"m{k}": "" for k in range(len(r["retention"]), width)}
                for r in rows
            ],
        )
        return
    if not rows:
        context.fail("no paid orders yet: there are no cohorts to show")
    shown = min(width, months + 1)
    table = Table(
        "cohort",
        "customers",
        *(f"m{k}" for k in range(shown)),
        title=f"Cohort retention as of {report['as_of']} (share buying k months after the first)",
    )
    for r in rows:
        cells = [_heat(v) for v in r["retention"][:shown]]
        table.add_row(r["cohort"], f"{r['customers']:,}", *cells)
    context.console.print(table)


@app.command("channels")
def channels(
    monthly: bool = typer.Option(False, "--monthly", help="Print channel × month rows too."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print channel × month rows as CSV."),
) -> None:
    """Show spend, new customers, CAC and ROI by acquisition channel (and by month).

    CAC = spend / new customers; ROI = (gross margin on the revenue to date of those customers
    − spend) / spend, in % (docs/metrics.md). A channel without spend has neither.
    """
    report = _kpis()
    data = report["channels"]
    header = ["channel", "month", "spend", "new_customers", "cac", "revenue_to_date", "roi"]
    if as_json:
        context.print_json({"run_id": report["run_id"], "as_of": report["as_of"], **data})
        return
    if as_csv:
        print_csv(header, data["monthly"])
        return
    total = Table(
        "channel",
        "spend",
        "new customers",
        "CAC",
        "revenue to date",
        "ROI",
        title=f"Acquisition channels, all months to {report['as_of']}",
    )
    for r in data["total"]:
        total.add_row(
            r["channel"],
            _num(r["spend"], "money"),
            _num(r["new_customers"]),
            _num(r["cac"], "money"),
            _num(r["revenue_to_date"], "money"),
            _num(r["roi"], "share"),
        )
    context.console.print(total)
    if monthly:
        table = Table(*header, title="By channel and month")
        for r in data["monthly"]:
            table.add_row(
                r["channel"],
                r["month"],
                _num(r["spend"], "money"),
                _num(r["new_customers"]),
                _num(r["cac"], "money"),
                _num(r["revenue_to_date"], "money"),
                _num(r["roi"], "share"),
            )
        context.console.print(table)
