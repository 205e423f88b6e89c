"""The run's value step on a small shop: a fit that does not converge is penalised, not lost."""

from __future__ import annotations

from datetime import date

import polars as pl

from tenure.analytics.features import compute_features, cut_frames, day_number
from tenure.analytics.value import ValueParams, customer_value
from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate

END = date(2026, 3, 31)


def _frames() -> dict[str, pl.DataFrame]:
    data = generate(DemoConfig(customers=500, seed=2, end=END))
    start = day_number(END) - 730 + 1
    orders = data.tables["orders"].select(
        "customer_id",
        (pl.col("ordered_at").dt.date().cast(pl.Int32)).alias("day"),
        "status",
        pl.col("amount").cast(pl.Float64),
    )
    customers = data.tables["customers"].select(
        pl.col("id").alias("customer_id"),
        pl.col("acquired_at").dt.date().cast(pl.Int32).fill_null(start).alias("acquired_day"),
    )
    return cut_frames(
        {
            "customers": customers,
            "orders": orders,
            "events": pl.DataFrame(
                schema={"customer_id": pl.Int64, "day": pl.Int32, "type": pl.String}
            ),
            "surveys": pl.DataFrame(
                schema={"customer_id": pl.Int64, "day": pl.Int32, "score": pl.Int64}
            ),
            "subscriptions": pl.DataFrame(
                schema={"customer_id": pl.Int64, "started_day": pl.Int32, "cancelled_day": pl.Int32}
            ),
        },
        day_number(END),
    )


def test_a_small_shops_flat_likelihood_is_penalised_and_valued() -> None:
    features = compute_features(_frames(), END)
    value, diagnostics = customer_value(features, ValueParams())
    assert "skipped" not in diagnostics, diagnostics.get("skipped")
    assert "transaction" in diagnostics["penalized"]  # BG/NBD did not converge unpenalised
    buyers = value.filter(pl.col("p_alive").is_not_null())
    assert buyers.height > 100 and buyers["clv"].is_finite().all()
    assert diagnostics["spend_model"]["left_out"]["no_repeat_purchase"] > 0
