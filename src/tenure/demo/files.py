"""The demo company as import files: the columns ``tenure import`` reads, in CSV or Parquet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from tenure.demo.generate import DemoData

_TS = "%Y-%m-%d %H:%M:%S%.6f+00:00"


def _external(data: DemoData) -> pl.DataFrame:
    return data.tables["customers"].select(
        pl.col("id").alias("customer_id"), pl.col("external_id").alias("customer")
    )


def _text_times(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.Datetime("us", "UTC")).dt.strftime(_TS))


def import_frames(data: DemoData) -> Iterator[tuple[str, pl.DataFrame]]:
    """Yield (entity, frame) in canonical column names, one at a time to bound memory."""
    ext = _external(data)
    users = data.tables["users"].select(
        pl.col("id").alias("owner_id"), pl.col("email").alias("owner_email")
    )
    yield (
        "customers",
        (
            data.tables["customers"]
            .join(users, on="owner_id", how="left")
            .with_columns(
                pl.col("tags").str.json_decode(pl.List(pl.String)).list.join(", "),
                pl.col("attributes").str.json_decode(pl.Struct({"preferred_language": pl.String})),
            )
            .unnest("attributes")
            .drop("id", "owner_id")
            .rename({"external_id": "customer_id"})
        ),
    )
    lines = data.tables["order_lines"].drop("id")
    yield (
        "orders",
        (
            data.tables["orders"]
            .join(ext, on="customer_id")
            .drop("customer_id")
            .rename({"customer": "customer_id", "external_id": "order_id"})
            .join(lines, left_on="id", right_on="order_id", how="left")
            .sort("id", "line_no")
            .drop("id", "line_no")
        ),
    )
    events = data.tables["events"]
    props = events["properties"].str.json_decode(
        pl.Struct(
            {"path": pl.String, "feature": pl.String, "topic": pl.String, "campaign": pl.String}
        )
    )
    yield (
        "events",
        (
            events.with_columns(props.alias("properties"))
            .unnest("properties")
            .join(ext, on="customer_id", maintain_order="left")
            .drop("customer_id", "id")
            .rename({"customer": "customer_id", "external_id": "event_id"})
        ),
    )  # already in id order, and ids are zero-padded: no sort needed
    del props, events
    yield "spend", data.tables["marketing_spend"].drop("id")
    yield (
        "surveys",
        (
            data.tables["survey_responses"]
            .join(ext, on="customer_id", maintain_order="left")
            .drop("customer_id", "id")
            .rename({"customer": "customer_id"})
        ),
    )
    if "subscriptions" in data.tables:
        yield (
            "subscriptions",
            (
                data.tables["subscriptions"]
                .join(ext, on="customer_id", maintain_order="left")
                .drop("customer_id", "id")
                .rename({"customer": "customer_id", "external_id": "subscription_id"})
            ),
        )


def write_files(data: DemoData, folder: Path, fmt: str) -> dict[str, Path]:
    """Write one file per entity into ``folder``; return the paths by entity."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for entity, frame in import_frames(data):
        path = folder / f"{entity}.{fmt}"
        if fmt == "parquet":
            frame.write_parquet(path)
        else:
            _text_times(frame).write_csv(path)
        written[entity] = path
    return written
