"""The monthly cohort retention matrix.

Cohort = the month of a customer's first paid purchase. Cell (cohort, k) = the share of the
cohort with a paid purchase in the k-th month after it (k = 0 is the first month: 100%).
Cells after the as-of month are absent; the as-of month's column is partial.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tenure.analytics.kpis.calendar import month_label


def _index(day: pl.Expr) -> pl.Expr:
    """Months since year 0, so month differences are integer subtraction."""
    as_date = day.cast(pl.Date)
    return as_date.dt.year().cast(pl.Int32) * 12 + as_date.dt.month().cast(pl.Int32) - 1


def cohort_matrix(days: pl.DataFrame, firsts: pl.DataFrame, as_of_day: int) -> dict[str, Any]:
    """Return {"cohorts": [{cohort, customers, retention: [share per month since]}]}."""
    if days.height == 0:
        return {"cohorts": []}
    active = (
        days.select("customer_id", _index(pl.col("day")).alias("m"))
        .unique()
        .join(
            firsts.select(
                "customer_id",
                _index(pl.col("first_day")).alias("c"),
                month_label(pl.col("first_day")).alias("cohort"),
            ),
            on="customer_id",
        )
        .with_columns((pl.col("m") - pl.col("c")).alias("k"))
    )
    sizes = active.filter(pl.col("k") == 0).group_by("cohort").agg(pl.len().alias("customers"))
    cells = active.group_by("cohort", "k").agg(pl.len().alias("n"))
    last = int(pl.select(_index(pl.lit(as_of_day, dtype=pl.Int32))).item())
    cohort_index = active.group_by("cohort").agg(pl.col("c").first()).sort("cohort")
    counts = {(r["cohort"], r["k"]): r["n"] for r in cells.iter_rows(named=True)}
    size = dict(sizes.iter_rows())
    rows = []
    for cohort, c in cohort_index.iter_rows():
        n = size.get(cohort, 0)
        rows.append(
            {
                "cohort": cohort,
                "customers": n,
                "retention": [
                    round(counts.get((cohort, k), 0) / n, 4) if n else None
                    for k in range(last - c + 1)
                ],
            }
        )
    return {"cohorts": rows}
