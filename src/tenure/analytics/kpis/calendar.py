"""Calendar months as day numbers (the as-of month ends on the as-of day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from tenure.analytics.features import EPOCH, day_number


@dataclass(frozen=True)
class Month:
    """A calendar month: its label and its first and last day numbers (the last cut at as-of)."""

    label: str
    first: int
    last: int
    complete: bool


def months(first_day: int, as_of: date) -> list[Month]:
    """Return the calendar months from the one holding ``first_day`` to the as-of month."""
    start = EPOCH + timedelta(days=first_day)
    year, month = start.year, start.month
    out = []
    end = day_number(as_of)
    while (year, month) <= (as_of.year, as_of.month):
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        last = day_number(nxt) - 1
        out.append(
            Month(
                f"{year:04d}-{month:02d}",
                day_number(date(year, month, 1)),
                min(last, end),
                last <= end,
            )
        )
        year, month = nxt.year, nxt.month
    return out


def month_index(day: pl.Expr) -> pl.Expr:
    """Months since year 0 of a day-number expression: month differences are subtraction.

    Integers, not labels: formatting a label per row of ten million orders costs seconds.
    """
    as_date = day.cast(pl.Date)
    return as_date.dt.year().cast(pl.Int32) * 12 + as_date.dt.month().cast(pl.Int32) - 1


def index_label(index: int) -> str:
    """Return the YYYY-MM label of a ``month_index``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_label(day: pl.Expr) -> pl.Expr:
    """Return the YYYY-MM label of a day-number expression (for small frames)."""
    return day.cast(pl.Date).dt.strftime("%Y-%m")
