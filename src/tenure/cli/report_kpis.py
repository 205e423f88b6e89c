"""``tenure report kpis|cohorts|channels``: the KPIs of the latest run, as a person reads them."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from tenure.cli import context
from tenure.cli.report import app, print_csv, read_or_fail
from tenure.cli.words import Words, lang_option, words

NO_KPIS = "the latest run has no KPIs: run `tenure score` again with this version of Tenure"


def _kpis(w: Words) -> dict[str, Any]:
    from tenure.domains.scoring.reports import kpi_report

    report = read_or_fail(kpi_report, w)
    return report


def _num(w: Words, value: float | None, kind: str = "int") -> str:
    """Write a KPI's value by CLDR in the report's language."""
    if value is None:
        return "—"
    if kind == "share":
        return w.percent(value)
    if kind == "money":
        return w.money(value)
    if kind == "float":
        return w.number(value, 2)
    if kind == "nps":
        return ("+" if value >= 0 else "") + w.number(value, 1)
    return w.number(value)


def _change(
    now: float | None, before: float | None, more_is_good: bool = True, w: Words | None = None
) -> Text:
    """Write the change in %, green when it is good news (fewer lapsed customers is)."""
    if now is None or not before:
        return Text("—")
    change = (now - before) / abs(before)
    shown = ("+" if change >= 0 else "-") + (w or Words("en", "USD")).percent(abs(change))
    if change == 0:
        return Text(shown)
    good = (change > 0) == more_is_good
    return Text(shown, style="green" if good else "red")


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
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print every KPI as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the monthly series as CSV."),
) -> None:
    """Show the KPIs of the latest run: the last 30 days against the 30 before, the base, value.

    Every formula is in docs/metrics.md. `--monthly` adds new customers, retention and churn,
    revenue, AOV and more for every calendar month.
    """
    w = words(lang)
    report = _kpis(w)
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
        w("KPI"),
        f"{w.day(now['from'])} … {w.day(now['to'])}",
        f"{w.day(before['from'])} … {w.day(before['to'])}",
        w("change"),
        title=w(
            "The last 30 days (run {run}, as of {day})",
            run=report["run_id"],
            day=w.day(report["as_of"]),
        ),
    )
    for label, key, kind in WINDOW_ROWS:
        window.add_row(
            w(label, days=days),
            _num(w, now[key], kind),
            _num(w, before[key], kind),
            _change(now[key], before[key], more_is_good=key not in FEWER_IS_BETTER, w=w),
        )
    context.console.print(window)
    _print_base(report, days, w)
    _print_stages(report, w)
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
        table = Table(
            *(w(h) for h in shown.values()),
            title=w("Month by month (* = partial; all columns: --csv)"),
        )
        table.columns[0].no_wrap = True
        for row in report["monthly"]:
            table.add_row(*(_month_cell(row, c, w) for c in shown))
        context.console.print(table)


def _print_base(report: dict[str, Any], days: object, w: Words) -> None:
    title = w("The customer base as of {day}", day=w.day(report["as_of"]))
    base = Table(w("KPI"), w("value"), title=title)
    for label, key, kind in BASE_ROWS:
        base.add_row(w(label, days=days), _num(w, report["base"].get(key), kind))
    for label, key, kind in VALUE_ROWS:
        base.add_row(w(label), _num(w, report["value"].get(key), kind))
    nps = report["nps"]
    base.add_row(
        w("NPS (latest answer per customer, 365 days)"),
        w(
            "{value} ({answers} answers)",
            value=_num(w, nps["overall"]["nps"], "nps"),
            answers=w.number(nps["overall"]["responses"]),
        ),
    )
    context.console.print(base)


def _print_stages(report: dict[str, Any], w: Words) -> None:
    nps = report["nps"]
    by_stage = Table(
        w("stage"), w("customers"), w("NPS"), w("answers"), title=w("Stages and their NPS")
    )
    for stage, count in report["stages"].items():
        score = nps["by_stage"].get(stage, {})
        by_stage.add_row(
            w.stage(stage),
            w.number(count),
            _num(w, score.get("nps"), "nps"),
            _num(w, score.get("responses")),
        )
    context.console.print(by_stage)
    context.console.print(
        w(
            "churned is a stage, decided by the stage rules (docs/stages.md); its count may differ "
            "from the lapsed customers above, who are every buyer without a recent paid order "
            "(docs/metrics.md)."
        )
    )


def _month_cell(row: dict[str, Any], column: str, w: Words) -> str:
    value = row[column]
    if column == "month":
        return w.day(str(value)) + ("" if row["complete"] else " *")
    if column in ("churn_rate", "retention_rate", "returning_share"):
        return _num(w, value, "share")
    if column == "revenue":
        return "—" if value is None else w.money(value, 0)
    if column == "aov":
        return _num(w, value, "money")
    if column == "frequency":
        return _num(w, value, "float")
    return _num(w, value)


def _heat(share: float | None, w: Words) -> Text:
    if share is None:
        return Text("")
    shade = int(40 + 180 * min(max(share, 0.0), 1.0))
    style = f"black on rgb({255 - shade // 2},{255 - shade // 4},255)"
    return Text(w.percent(share, 0), style=style)


@app.command("cohorts")
def cohorts(
    months: int = typer.Option(12, "--months", min=1, help="How many months after the first."),
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the matrix as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the matrix as CSV."),
) -> None:
    """Show the monthly cohort retention matrix of the latest run.

    A row is the customers whose first paid purchase fell in that month; column k is the share
    of them who bought in the k-th month after it (month 0 is 100%).
    """
    w = words(lang)
    report = _kpis(w)
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
        context.fail(w("no paid orders yet: there are no cohorts to show"))
    shown = min(width, months + 1)
    table = Table(
        w("cohort"),
        w("customers"),
        *(w("m{k}", k=k) for k in range(shown)),
        title=w(
            "Cohort retention as of {day} (share buying k months after the first)",
            day=w.day(report["as_of"]),
        ),
    )
    for r in rows:
        cells = [_heat(v, w) for v in r["retention"][:shown]]
        table.add_row(w.day(r["cohort"]), w.number(r["customers"]), *cells)
    context.console.print(table)


@app.command("channels")
def channels(
    monthly: bool = typer.Option(False, "--monthly", help="Print channel × month rows too."),
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print channel × month rows as CSV."),
) -> None:
    """Show spend, new customers, CAC and ROI by acquisition channel (and by month).

    CAC = spend / new customers; ROI = (gross margin on the revenue to date of those customers
    − spend) / spend, in % (docs/metrics.md). A channel without spend has neither.
    """
    w = words(lang)
    report = _kpis(w)
    data = report["channels"]
    header = ["channel", "month", "spend", "new_customers", "cac", "revenue_to_date", "roi"]
    if as_json:
        context.print_json({"run_id": report["run_id"], "as_of": report["as_of"], **data})
        return
    if as_csv:
        print_csv(header, data["monthly"])
        return
    total = Table(
        *(w(h) for h in ("channel", "spend", "new customers", "CAC", "revenue to date", "ROI")),
        title=w("Acquisition channels, all months to {day}", day=w.day(report["as_of"])),
    )
    for r in data["total"]:
        total.add_row(w.label("channel", r["channel"]), *_channel_cells(r, w))
    context.console.print(total)
    if monthly:
        shown = ("channel", "month", "spend", "new customers", "CAC", "revenue to date", "ROI")
        table = Table(*(w(h) for h in shown), title=w("By channel and month"))
        for r in data["monthly"]:
            table.add_row(
                w.label("channel", r["channel"]), w.day(r["month"]), *_channel_cells(r, w)
            )
        context.console.print(table)


def _channel_cells(r: dict[str, Any], w: Words) -> list[str]:
    return [
        _num(w, r["spend"], "money"),
        _num(w, r["new_customers"]),
        _num(w, r["cac"], "money"),
        _num(w, r["revenue_to_date"], "money"),
        _num(w, r["roi"], "share"),
    ]
