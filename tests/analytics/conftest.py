"""Shared fixtures of the analytics tests."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tenure.analytics.features import EMPTY_SCHEMAS
from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate

END = date(2026, 6, 30)


@pytest.fixture(scope="session")
def demo_frames() -> dict[str, pl.DataFrame]:
    """The demo company's store as day-number frames (UTC business days)."""
    tables = generate(DemoConfig(customers=8_000, seed=5, end=END)).tables

    def day(column: str) -> pl.Expr:
        return pl.col(column).dt.date().cast(pl.Int32)

    return {
        "customers": tables["customers"].select(
            pl.col("id").alias("customer_id"),
            day("acquired_at").alias("acquired_day"),
            "acquisition_channel",
            "email_consent",
            "company_size",
        ),
        "orders": tables["orders"].select(
            "customer_id", day("ordered_at").alias("day"), "status", pl.col("amount").cast(float)
        ),
        "events": tables["events"].select("customer_id", day("occurred_at").alias("day"), "type"),
        "surveys": tables["survey_responses"].select(
            "customer_id", day("answered_at").alias("day"), "score"
        ),
        "subscriptions": pl.DataFrame(schema=EMPTY_SCHEMAS["subscriptions"]),
    }
