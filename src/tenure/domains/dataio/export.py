"""Export store tables in the columns ``tenure import`` reads.

CSV files start with a UTF-8 BOM and have formula-like text quoted (kit/spreadsheet.py), which
the importer reads back unchanged.

Rows are fetched in batches; the file is written once at the end so that property and
attribute keys first met late in the table still get a column of their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import polars as pl
import pyarrow.parquet as pq
from sqlalchemy import Connection, text

from tenure.domains.events.models import SystemEventType
from tenure.kit.errors import InvalidInput
from tenure.kit.spreadsheet import BOM, safe_frame

_TS = "%Y-%m-%d %H:%M:%S%.6f+00:00"
_BATCH = 100_000

# Tenure's own events (stage changes, survey answers …) are derived: an import refuses them
_SYSTEM = ", ".join(f"'{kind.value}'" for kind in SystemEventType)
_EVENTS = f"""
        SELECT e.external_id AS event_id, c.external_id AS customer_id, e.occurred_at, e.type,
               e.properties AS __extras
        FROM events e JOIN customers c ON c.id = e.customer_id
        WHERE e.type NOT IN ({_SYSTEM})
        ORDER BY e.id"""  # noqa: S608  (the vocabulary's own values, no input)

QUERIES = {
    "customers": """
        SELECT c.external_id AS customer_id, c.name, c.email, c.phone, c.company, c.industry,
               c.company_size, c.region, c.country, c.city, c.timezone, c.birthday, c.gender,
               c.acquisition_channel, c.acquired_at, u.email AS owner_email, c.tags,
               c.email_consent, c.sms_consent, c.attributes AS __extras
        FROM customers c LEFT JOIN users u ON u.id = c.owner_id ORDER BY c.id""",
    "orders": """
        SELECT o.external_id AS order_id, c.external_id AS customer_id, o.ordered_at, o.amount,
               o.status, o.cost, o.discount, o.currency, o.channel,
               l.product_id, l.product_name, l.category, l.quantity, l.unit_price
        FROM orders o JOIN customers c ON c.id = o.customer_id
        LEFT JOIN order_lines l ON l.order_id = o.id ORDER BY o.id, l.line_no""",
    "events": _EVENTS,
    "spend": """
        SELECT channel, period_start, period_end, amount, currency
        FROM marketing_spend ORDER BY channel, period_start""",
    "surveys": """
        SELECT c.external_id AS customer_id, s.survey, s.score, s.comment, s.answered_at
        FROM survey_responses s JOIN customers c ON c.id = s.customer_id ORDER BY s.id""",
    "subscriptions": """
        SELECT s.external_id AS subscription_id, c.external_id AS customer_id, s.plan,
               s.billing_period, s.status, s.mrr, s.started_at, s.cancelled_at
        FROM subscriptions s JOIN customers c ON c.id = s.customer_id ORDER BY s.id""",
}
TIME_COLUMNS = {
    "acquired_at",
    "ordered_at",
    "occurred_at",
    "answered_at",
    "started_at",
    "cancelled_at",
}
MONEY_COLUMNS = {"amount", "cost", "discount", "unit_price", "mrr"}
LINE_COLUMNS = ("product_id", "product_name", "category", "quantity", "unit_price")


def _cell(name: str, value: Any) -> Any:
    """Write a stored value as text the importer reads back to the same value."""
    if value is None:
        return None
    if name in TIME_COLUMNS:
        return (
            value.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
            if hasattr(value, "strftime")
            else (str(value) + "+00:00")
        )
    if name in MONEY_COLUMNS:
        return f"{float(value):.2f}"
    if name == "tags":
        tags = json.loads(value) if isinstance(value, str) else value
        return ", ".join(str(t) for t in tags) if isinstance(tags, list) and tags else None
    if isinstance(value, bool) or name.endswith("_consent"):
        return "true" if value in (True, 1, "1") else "false"
    return str(value)


def _frame(names: list[str], rows: Sequence[Any]) -> pl.DataFrame:
    data: dict[str, list[Any]] = {n: [] for n in names if n != "__extras"}
    extras: list[dict[str, Any]] = []
    for row in rows:
        for name, value in zip(names, row, strict=True):
            if name == "__extras":
                # JSON null (which the API allows) is stored as text on SQLite: no extras
                parsed = json.loads(value) if isinstance(value, str) else value
                extras.append(parsed if isinstance(parsed, dict) else {})
            else:
                data[name].append(_cell(name, value))
    frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
    if extras:
        keys = sorted({k for e in extras for k in e})
        frame = frame.with_columns(
            pl.Series(k, [None if e.get(k) is None else str(e[k]) for e in extras], dtype=pl.String)
            for k in keys
        )
    return frame


class _Sink:
    """Appends frames to CSV or Parquet; extra columns met later are kept, never dropped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames: list[pl.DataFrame] = []
        self.parquet = path.suffix.lower() in (".parquet", ".pq")
        if not self.parquet and path.suffix.lower() != ".csv":
            raise InvalidInput(f"{path}: export writes .csv or .parquet files")

    def add(self, frame: pl.DataFrame) -> None:
        self.frames.append(frame)

    def close(self, columns: list[str]) -> None:
        # Different batches may carry different extra columns: align them to one header.
        frames = self.frames or [pl.DataFrame(schema=dict.fromkeys(columns, pl.String))]
        frame = pl.concat(frames, how="diagonal_relaxed")
        if self.parquet:
            pq.write_table(frame.to_arrow(), self.path)
        else:
            handle: IO[bytes]
            with self.path.open("wb") as handle:
                handle.write(BOM.encode())
                safe_frame(frame).write_csv(handle)


def export_entity(conn: Connection, entity: str, path: Path) -> int:
    """Write ``entity`` to ``path`` (.csv or .parquet); return the rows written."""
    if entity not in QUERIES:
        raise InvalidInput(f"cannot export {entity!r}; choose from {', '.join(QUERIES)}")
    sink = _Sink(path)
    # streamed on the statement: Connection.execution_options would leave the caller's
    # connection streaming every later statement (PostgreSQL then refuses an UPDATE)
    result = conn.execute(text(QUERIES[entity]).execution_options(stream_results=True))
    names = list(result.keys())
    total = 0
    has_lines = False
    while rows := result.fetchmany(_BATCH):
        frame = _frame(names, rows)
        if entity == "orders":
            has_lines = (
                has_lines
                or frame.select(pl.any_horizontal(pl.col(LINE_COLUMNS).is_not_null()))
                .to_series()
                .any()
            )
        sink.add(frame)
        total += len(rows)
    columns = [n for n in names if n != "__extras"]
    if entity == "orders" and not has_lines:
        sink.frames = [f.drop(LINE_COLUMNS) for f in sink.frames]
        columns = [c for c in columns if c not in LINE_COLUMNS]
    sink.close(columns)
    return total
