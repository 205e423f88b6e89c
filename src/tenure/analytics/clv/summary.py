"""From a transaction log to the per-customer summary every model reads.

frequency = repeat purchase occasions (distinct purchase days − 1) up to the calibration end;
recency = time from the first to the last purchase; T = time from the first purchase to the
calibration end; monetary_value = mean value of the repeat occasions (0 without repeats).
Several purchases on one day are one occasion, their amounts summed. Time is continuous in
days, weeks (days / 7) or months (days / 30.4375), as in the papers. With an observation end
after the calibration end, the holdout's occasions and their mean value are counted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, cast

import numpy as np
import polars as pl

from tenure.analytics.clv.collapse import Collapsed, collapse
from tenure.analytics.clv.data import check, column
from tenure.kit.errors import InvalidInput

UNITS = {"D": 1.0, "W": 7.0, "M": 30.4375}


def unit_days(unit: str) -> float:
    """Return the length in days of ``unit`` (D, W or M)."""
    try:
        return UNITS[unit.upper()]
    except KeyError:
        raise InvalidInput(
            f"unit must be D (days), W (weeks) or M (months), not {unit!r}"
        ) from None


def as_polars(transactions: Any) -> pl.DataFrame:
    """Accept a Polars frame, a pandas frame or a dict of columns."""
    if isinstance(transactions, pl.DataFrame):
        return transactions
    try:
        return (
            pl.from_pandas(transactions)
            if hasattr(transactions, "iloc")
            else pl.DataFrame(transactions)
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"cannot read the transactions as a table: {exc}") from exc


def occasions_table(
    frame: pl.DataFrame, customer_col: str, date_col: str, amount_col: str | None
) -> pl.DataFrame:
    """One row per customer and purchase day (``customer_id``, ``day``, summed ``amount``)."""
    for name in (customer_col, date_col, amount_col):
        if name is not None and name not in frame.columns:
            raise InvalidInput(
                f"the transactions have no column {name!r}; their columns are: "
                f"{', '.join(frame.columns)}"
            )
    day = pl.col(date_col)
    dtype = frame.schema[date_col]
    if dtype == pl.String:
        day = day.str.to_date(strict=False)
    elif isinstance(dtype, pl.Datetime):
        day = day.dt.date()
    amount = pl.col(amount_col).cast(pl.Float64, strict=False) if amount_col else pl.lit(0.0)
    rows = frame.select(
        pl.col(customer_col).alias("customer_id"), day.alias("day"), amount.alias("amount")
    )
    if rows["day"].null_count() > (frame[date_col].null_count()):
        bad = rows.with_row_index().filter(pl.col("day").is_null())["index"][0]
        raise InvalidInput(
            f"column {date_col!r}: row {bad} is not a date (value {frame[date_col][bad]!r})"
        )
    if amount_col and rows["amount"].null_count():
        bad = rows.with_row_index().filter(pl.col("amount").is_null())["index"][0]
        value = frame[amount_col][bad]
        problem = "has no amount" if value is None else f"{value!r} is not a number"
        raise InvalidInput(f"column {amount_col!r}: row {bad} {problem}")
    return rows.drop_nulls("day").group_by("customer_id", "day").agg(pl.col("amount").sum())


def summarize(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
    calibration_end: date | None = None,
    observation_end: date | None = None,
    unit: str = "W",
) -> pl.DataFrame:
    """Summarise a transaction log per customer (see the module docstring for definitions).

    Customers whose first purchase falls after ``calibration_end`` are not in the result: the
    models describe the cohort that was already buying during calibration.
    """
    scale = unit_days(unit)
    occasions = occasions_table(as_polars(transactions), customer_col, date_col, amount_col)
    if occasions.height == 0:
        raise InvalidInput("the transactions are empty")
    last_day = occasions["day"].max()
    observation_end = observation_end or last_day  # type: ignore[assignment]
    calibration_end = calibration_end or observation_end
    if calibration_end > observation_end:  # type: ignore[operator]
        raise InvalidInput(
            f"calibration end {calibration_end} is after observation end {observation_end}"
        )
    occasions = occasions.filter(pl.col("day") <= observation_end)
    cal = occasions.filter(pl.col("day") <= calibration_end)
    first = cal.group_by("customer_id").agg(pl.col("day").min().alias("first"))
    cal = cal.join(first, on="customer_id").sort("customer_id", "day")
    days = (pl.col("day") - pl.col("first")).dt.total_days()
    summary = cal.group_by("customer_id", maintain_order=True).agg(
        (pl.len() - 1).alias("frequency"),
        (days.max() / scale).alias("recency"),
        ((pl.lit(calibration_end) - pl.col("first").first()).dt.total_days() / scale).alias("T"),
        pl.col("amount").slice(1).mean().fill_null(0.0).alias("monetary_value"),
    )
    if observation_end > calibration_end:  # type: ignore[operator]
        hold = (
            occasions.filter(pl.col("day") > calibration_end)
            .group_by("customer_id")
            .agg(
                pl.len().alias("frequency_holdout"),
                pl.col("amount").mean().alias("monetary_value_holdout"),
            )
        )
        summary = summary.join(hold, on="customer_id", how="left").with_columns(
            pl.col("frequency_holdout").fill_null(0),
            pl.col("monetary_value_holdout").fill_null(0.0),
            pl.lit((observation_end - calibration_end).days / scale).alias(  # type: ignore[operator]
                "duration_holdout"
            ),
        )
    return summary.with_columns(pl.col("frequency").cast(pl.Int64)).sort("customer_id")


def summarize_discrete(
    transactions: Any,
    *,
    customer_col: str,
    date_col: str,
    calibration_end: date | None = None,
    unit: str = "M",
) -> pl.DataFrame:
    """Per-customer (frequency, recency, n) in whole periods, for BG/BB.

    Each period of ``unit`` after the customer's first is one purchase opportunity: n counts
    the opportunities up to the calibration end, frequency the ones with a purchase, and
    recency the opportunity of the last purchase (0 when none).
    """
    scale = unit_days(unit)
    table = occasions_table(as_polars(transactions), customer_col, date_col, None)
    calibration_end = calibration_end or cast(date, table["day"].max())
    table = table.filter(pl.col("day") <= calibration_end)
    origin = cast(date, table["day"].min())
    table = table.with_columns(
        ((pl.col("day") - pl.lit(origin)).dt.total_days() // scale).alias("period")
    )
    last = (calibration_end - origin).days // scale
    first = table.group_by("customer_id").agg(pl.col("period").min().alias("first"))
    later = table.join(first, on="customer_id").filter(pl.col("period") > pl.col("first"))
    counts = later.group_by("customer_id").agg(
        pl.col("period").n_unique().alias("frequency"),
        (pl.col("period").max() - pl.col("first").first()).alias("recency"),
    )
    return (
        first.join(counts, on="customer_id", how="left")
        .select(
            "customer_id",
            pl.col("frequency").fill_null(0).cast(pl.Int64),
            pl.col("recency").fill_null(0).cast(pl.Int64),
            (pl.lit(int(last)) - pl.col("first")).cast(pl.Int64).alias("n"),
        )
        .sort("customer_id")
    )


@dataclass
class CustomerSummary:
    """Validated frequency, recency and T of a set of customers, collapsed once for reuse.

    Models accept any frame with these columns; wrapping it here first lets many predictions
    share the validation and the grouping of identical customers.
    """

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray  # noqa: N815 (the literature's name)
    _collapsed: Collapsed | None = field(default=None, repr=False)

    @classmethod
    def of(cls, data: Any) -> CustomerSummary:
        """Read and check ``frequency``, ``recency`` and ``T`` from ``data``."""
        if isinstance(data, CustomerSummary):
            return data
        x = column(data, "frequency")
        t_x = column(data, "recency")
        big_t = column(data, "T")
        check(np.isfinite(x) & (x >= 0) & (np.floor(x) == x), "frequency", "a whole number ≥ 0")
        check(np.isfinite(t_x) & (t_x >= 0), "recency", "a number ≥ 0")
        check(np.isfinite(big_t) & (big_t >= t_x), "T", "a number ≥ recency")
        check((x > 0) | (t_x == 0), "recency", "0 when frequency is 0")
        return cls(x, t_x, big_t)

    @cached_property
    def collapsed(self) -> Collapsed:
        """Return the distinct (frequency, recency, T) rows and their counts."""
        return self._collapsed or collapse(self.frequency, self.recency, self.T)

    @property
    def size(self) -> int:
        """Return the number of customers."""
        return int(self.frequency.size)
