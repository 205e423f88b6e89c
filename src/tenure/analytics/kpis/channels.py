"""Acquisition channels: spend, new customers, CAC and ROI, by month and in all.

Spend records cover a period; each is spread over its days and so over the months it touches.
A new customer belongs to their acquisition channel and to the month of their first paid
purchase.
    CAC  = spend / new customers                                  (channel × month)
    ROI  = (gross margin on the paid revenue to date of those customers − spend) / spend
           (a share: 0.25 is 25%); gross margin = margin × paid revenue
Both are empty (None) for a channel without spend, such as direct: nothing was paid for its
customers, so there is no cost per customer and no return on a cost.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tenure.analytics.kpis.calendar import month_label


def _spend_by_month(spend: pl.DataFrame) -> pl.DataFrame:
    """Spread each spend record evenly over its days; sum by channel and month."""
    if spend.height == 0:
        return pl.DataFrame(schema={"channel": pl.String, "month": pl.String, "spend": pl.Float64})
    days = spend.with_columns(
        (pl.col("amount") / (pl.col("end_day") - pl.col("start_day") + 1)).alias("per_day"),
        pl.int_ranges(pl.col("start_day"), pl.col("end_day") + 1).alias("day"),
    ).explode("day")
    return days.group_by(
        pl.col("channel"), month_label(pl.col("day").cast(pl.Int32)).alias("month")
    ).agg(pl.col("per_day").sum().alias("spend"))


def channels(
    customers: pl.DataFrame,
    firsts: pl.DataFrame,
    revenue: pl.DataFrame,
    spend: pl.DataFrame,
    margin: float,
) -> dict[str, list[dict[str, Any]]]:
    """Return {"monthly": [...], "total": [...]} rows of channel figures."""
    acquired = (
        firsts.join(customers.select("customer_id", "acquisition_channel"), on="customer_id")
        .join(revenue, on="customer_id", how="left")
        .select(
            pl.col("acquisition_channel").fill_null("(unknown)").alias("channel"),
            month_label(pl.col("first_day")).alias("month"),
            pl.col("revenue").fill_null(0.0),
        )
    )
    new = acquired.group_by("channel", "month").agg(
        pl.len().alias("new_customers"), pl.col("revenue").sum().alias("revenue_to_date")
    )
    monthly = new.join(_spend_by_month(spend), on=["channel", "month"], how="full", coalesce=True)
    monthly = monthly.with_columns(
        pl.col("new_customers").fill_null(0),
        pl.col("revenue_to_date").fill_null(0.0),
        pl.col("spend").fill_null(0.0),
    )

    def figures(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.when(pl.col("spend") > 0)
            .then(pl.col("spend") / pl.col("new_customers").replace(0, None))
            .round(2)
            .alias("cac"),
            (
                (margin * pl.col("revenue_to_date") - pl.col("spend"))
                / pl.col("spend").replace(0.0, None)
            )
            .round(4)
            .alias("roi"),
            pl.col("spend").round(2),
            pl.col("revenue_to_date").round(2),
        )

    total = monthly.group_by("channel").agg(
        pl.col("new_customers").sum(), pl.col("revenue_to_date").sum(), pl.col("spend").sum()
    )
    return {
        "monthly": figures(monthly).sort("month", "channel").to_dicts(),
        "total": figures(total).sort("spend", descending=True).to_dicts(),
    }
