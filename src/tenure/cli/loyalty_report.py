"""``tenure loyalty report``: members beside comparable non-members, and tier migration."""

from __future__ import annotations

from typing import Any

from tenure.cli import context
from tenure.cli.words import Words

# outcome key → what the report calls it, and how its figures are written
OUTCOME_ROWS = (
    ("repurchase within 90 days", "repurchase_90d"),
    ("spend since joining (historical CLV)", "spend_since"),
    ("predicted CLV", "predicted_clv"),
)


def _figure(w: Words, outcome: str, value: float | None) -> str:
    if value is None:
        return "–"
    return w.percent(value) if outcome == "repurchase_90d" else w.money(value)


def _with_ci(w: Words, outcome: str, mean: float, ci: list[float] | None) -> str:
    if ci is None:
        return _figure(w, outcome, mean)
    low, high = (_figure(w, outcome, v) for v in ci)
    return f"{_figure(w, outcome, mean)} ({low} – {high})"


def _difference(w: Words, outcome: str, mean: float, ci: list[float] | None) -> str:
    """Write a difference of two rates in percentage points ("+3.5 points"), not a percent."""
    if outcome != "repurchase_90d":
        return _with_ci(w, outcome, mean, ci)
    said = w("{points} points", points=f"{mean * 100:+.1f}")
    if ci is None:
        return said
    return f"{said} ({ci[0] * 100:+.1f} – {ci[1] * 100:+.1f})"


def print_report(found: dict[str, Any], w: Words) -> None:
    """Print the KPI report in the reader's language."""
    from rich.table import Table

    matched = found["matched"]
    table = Table(
        w("outcome"),
        w("members"),
        w("comparable non-members"),
        w("difference (95% interval)"),
        title=w("Members beside comparable non-members as of {day}", day=w.day(found["as_of"])),
    )
    names = {key: text for text, key in OUTCOME_ROWS}
    for row in matched["comparisons"]:
        o = row["outcome"]
        table.add_row(
            w(names[o]),
            _with_ci(w, o, row["member_mean"], row["member_ci"]),
            _with_ci(w, o, row["comparison_mean"], row["comparison_ci"]),
            _difference(w, o, row["difference"], row["difference_ci"]),
        )
    context.console.print(table)
    context.console.print(
        w(
            "{matched} of {members} members matched with {others} of {non_members} "
            "non-members in {strata} strata",
            matched=w.number(matched["members_matched"]),
            members=w.number(matched["members"]),
            others=w.number(matched["non_members_matched"]),
            non_members=w.number(matched["non_members"]),
            strata=w.number(matched["strata"]),
        )
    )
    context.console.print(w("comparable non-members — not a causal effect"))
    _print_migration(found["migration"], w)


def _tier(names: dict[str, str | None], key: str, w: Words) -> str:
    return (names["name_zh"] if w.lang == "zh" else None) or names["name"] or key


def _print_migration(found: dict[str, Any], w: Words) -> None:
    from rich.table import Table

    if not found["rows"]:
        context.console.print(w("the programme has no tiers"))
        return
    names = [
        w("no tier") if c is None else _tier(found["names"][c], c, w) for c in found["columns"]
    ]
    title = w(
        "Tier migration from {start} to {end}",
        start=w.day(found["start"]),
        end=w.day(found["end"]),
    )
    table = Table(f"{w('from')} \\ {w('to')}", *names, w("total"), title=title)
    for row, name in zip(found["rows"], names, strict=True):
        table.add_row(name, *(w.number(n) for n in row["counts"]), w.number(row["total"]))
    context.console.print(table)
