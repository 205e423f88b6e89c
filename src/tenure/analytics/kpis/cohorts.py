"""The monthly cohort retention matrix.

Cohort = the month of a customer's first paid purchase. Cell (cohort, k) = the share of the
cohort with a paid purchase in the k-th month after it (k = 0 is the first month: 100%).
Cells after the as-of month are absent; the as-of month's column is partial.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tenure.analytics.kpis.calendar import index_label, month_index


def customer_months(days: pl.DataFrame, firsts: pl.DataFrame) -> pl.DataFrame:
    """Return each buyer's months with a paid purchase: (customer_id, m, c, k).

    m = the month (``month_index``), c = the cohort (the month of the first purchase), k = m − c.
    ``days`` is ``purchase_days`` (sorted by customer, then day), so a customer's months come in
    order and a repeated month is always the row before.
    """
    months = days.select("customer_id", month_index(pl.col("day")).alias("m"))
    repeated = (pl.col("m") == pl.col("m").shift(1)) & (
        pl.col("customer_id") == pl.col("customer_id").shift(1)
    )
    return (
        months.filter(~repeated.fill_null(False))
        .join(
            firsts.select("customer_id", month_index(pl.col("first_day")).alias("c")),
            on="customer_id",
        )
        .with_columns((pl.col("m") - pl.col("c")).alias("k"))
    )


def cohort_matrix(active: pl.DataFrame, as_of_day: int) -> dict[str, Any]:
    """Return {"cohorts": [{cohort, customers, retention: [share per month since]}]}.

    ``active`` is ``customer_months``.
    """
    if active.height == 0:
        return {"cohorts": []}
    cells = active.group_by("c", "k").agg(pl.len().alias("n"))
    last = int(pl.select(month_index(pl.lit(as_of_day, dtype=pl.Int32))).item())
    counts = {(c, k): n for c, k, n in cells.iter_rows()}
    rows = []
    for c in sorted({c for c, _ in counts}):
        n = counts.get((c, 0), 0)
        rows.append(
            {
                "cohort": index_label(c),
                "customers": n,
                "retention": [
                    round(counts.get((c, k), 0) / n, 4) if n else None for k in range(last - c + 1)
                ],
            }
        )
    return {"cohorts": rows}
