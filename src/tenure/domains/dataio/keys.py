"""Idempotency keys for rows that arrive without an id of their own."""

from __future__ import annotations

import hashlib

import polars as pl

from tenure.domains.dataio.validate import CUSTOMER_REF


def event_keys(typed: pl.DataFrame) -> pl.Series:
    """Keep given event ids; hash the row's content where none was given.

    The hash covers customer, time, type and properties, so importing the same file again
    finds the same events. Two identical events in the same microsecond count as one.
    """
    given = typed["external_id"] if "external_id" in typed.columns else None
    parts = typed.select(
        pl.col(CUSTOMER_REF).fill_null(""),
        pl.col("occurred_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f").fill_null(""),
        pl.col("type").fill_null(""),
        pl.col("properties").fill_null("") if "properties" in typed.columns else pl.lit(""),
    )
    hashed = [
        "h-" + hashlib.sha256("\x1f".join(row).encode()).hexdigest()[:32]
        for row in parts.iter_rows()
    ]
    keys = pl.Series("external_id", hashed, dtype=pl.String)
    return keys if given is None else given.fill_null(keys)
