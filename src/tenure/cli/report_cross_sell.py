"""``tenure report cross-sell``: the strongest purchase sequences and how good the offers are."""

from __future__ import annotations

from typing import Any

import typer

from tenure.cli import context
from tenure.cli.report import app, read_or_fail
from tenure.cli.words import Words, lang_option, words

METHODS = ("offer", "sequences", "most_popular", "sequence_only")  # sequences: when learned
METHOD_NAMES = {
    "offer": "next best offer",
    "sequences": "sequences and popular",
    "most_popular": "most popular",
    "sequence_only": "sequence only",
}
LEVEL_NAMES = {"product": "products", "category": "categories"}


@app.command("cross-sell")
def cross_sell(
    top: int = typer.Option(10, "--top", min=1, max=200, help="How many pairs per level."),
    lang: str | None = lang_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Show the strongest sequences (A, then B about N days later) and the offers' quality.

    Pairs are ranked by z: how far the customers who bought B after A exceed the number
    expected if their later purchases were drawn by popularity (docs/cross-sell.md). The
    offers are tested on a later time split against "most popular" and "sequence only".
    """
    from tenure.domains.crosssell.service import report
    from tenure.kit.timeutil import utcnow

    w = words(lang)
    data = read_or_fail(lambda conn: report(conn, utcnow(), top), w)
    if as_json:
        context.print_json(data)
        return
    if data.get("skipped") or not data["levels"]:
        context.fail(w("no cross-sell in run {run}", run=data["run_id"]))
    for level, figures in data["levels"].items():
        _print_pairs(level, figures, data, w)
        if "evaluation" in figures:
            _print_quality(figures["evaluation"], w)


def _print_pairs(level: str, figures: dict[str, Any], data: dict[str, Any], w: Words) -> None:
    from rich.table import Table

    table = Table(
        "A",
        "B",
        w("customers"),
        w("share"),
        w("within {days} days", days=data["window_days"]),
        w("median lag, days"),
        w("quartiles"),
        "z",
        title=w(
            "Strongest sequences of {level} as of {day} ({due} customers due now)",
            level=w(LEVEL_NAMES[level]),
            day=w.day(data["as_of"]),
            due=w.number(figures["due_now"]),
        ),
    )
    for pair in figures["strongest"]:
        table.add_row(
            pair["a"],
            pair["b"],
            w.number(pair["buyers_after"]),
            w.percent(pair["share"]),
            w.percent(pair["share_within"]) if pair["share_within"] is not None else "—",
            w.number(pair["lag_median"]),
            f"{w.number(pair['lag_q1'])}–{w.number(pair['lag_q3'])}",
            w.number(pair["z"], 1),
        )
    context.console.print(table)


def _print_quality(evaluation: dict[str, Any], w: Words) -> None:
    from rich.table import Table

    k = evaluation["k"]
    table = Table(
        w("method"),
        w("precision@{k}", k=k),
        w("recall@{k}", k=k),
        w("hit rate"),
        title=w(
            "Offers learned as of {day}, tested on the next {days} days ({buyers} buyers)",
            day=w.day(_day(evaluation["train_as_of_day"])),
            days=evaluation["horizon_days"],
            buyers=w.number(evaluation["customers"]),
        ),
    )
    for method in (m for m in METHODS if m in evaluation["methods"]):
        m = evaluation["methods"][method]
        table.add_row(
            w(METHOD_NAMES[method]),
            w.percent(m["precision"]),
            w.percent(m["recall"]),
            w.percent(m["hit_rate"]),
        )
    context.console.print(table)


def _day(day: int) -> str:
    from tenure.domains.crosssell.compute import day_of

    return day_of(day).isoformat()
