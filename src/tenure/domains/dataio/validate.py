"""Check one batch of text rows against an entity's fields and turn it into typed columns."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import polars as pl

from tenure.domains.dataio.fields import EntitySpec, FieldSpec
from tenure.domains.dataio.mapping import ColumnMapping
from tenure.domains.dataio.parse import parse
from tenure.domains.dataio.problems import Problem
from tenure.domains.dataio.readers import ROW

CUSTOMER_REF = "__customer"
LINE_PREFIX = "line_"
LINE_NO = "__line_no"
OWNER_REF = "__owner"
RESERVED = (
    "an event type Tenure writes itself (stage changes, tasks completed…); use a type of your own"
)


@dataclass
class CheckedBatch:
    """Typed values (store column names), the problems found, and the source text rows."""

    typed: pl.DataFrame
    problems: list[Problem]
    source: pl.DataFrame

    @property
    def bad_rows(self) -> set[int]:
        """Return the row numbers that have at least one problem."""
        return {p.row for p in self.problems}


def _problems(
    rows: pl.Series, text: pl.Series, bad: pl.Series, column: str, reason: str
) -> list[Problem]:
    if not bad.any():
        return []
    picked = pl.DataFrame({"row": rows, "value": text}).filter(bad)
    return [Problem(r, column, reason, v) for r, v in picked.iter_rows()]


def _target(spec: EntitySpec, field: FieldSpec) -> str:
    if field.name == "customer_id" and spec.refers_to_customer:
        return CUSTOMER_REF
    if field.name == "owner_email":
        return OWNER_REF
    if field.name == "margin":
        return "__margin"
    if field in spec.line_fields:
        return LINE_PREFIX + field.name
    return field.store_column


def _check_field(
    batch: pl.DataFrame,
    spec: EntitySpec,
    field: FieldSpec,
    column: str | None,
    mapping: ColumnMapping,
    timezone: str,
) -> tuple[pl.Series, list[Problem]]:
    rows = batch[ROW]
    if column is None:
        text = pl.Series([field.default] * batch.height, dtype=pl.String)
    else:
        text = batch[column].str.strip_chars()
        text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series()
        if field.default is not None:
            text = text.fill_null(field.default)
    if field.name in mapping.extra_choices:
        merged = {k: tuple(v) for k, v in field.choices.items()}
        for alias, canonical in mapping.extra_choices[field.name].items():
            merged[canonical] = (*merged.get(canonical, ()), alias)
        field = dataclasses.replace(field, choices=merged)
    parsed = parse(text, field, timezone=timezone)
    shown = column or field.name
    found = _problems(rows, text, parsed.bad, shown, parsed.reason)
    if field.required:
        found += _problems(rows, text, text.is_null(), shown, "missing value")
    if field.reserved:
        taken = text.is_in(list(field.reserved)).fill_null(False)
        found += _problems(rows, text, taken, shown, RESERVED)
    return parsed.values.alias(_target(spec, field)), found


def check_batch(
    batch: pl.DataFrame, spec: EntitySpec, mapping: ColumnMapping, *, timezone: str, currency: str
) -> CheckedBatch:
    """Parse every mapped field of ``batch``; the typed frame keeps the row numbers."""
    timezone = mapping.timezone or timezone
    columns: list[pl.Series] = [batch[ROW]]
    problems: list[Problem] = []
    for field in spec.all_fields:
        column = mapping.fields.get(field.name)
        if column is None and field.default is None and not field.required:
            continue
        if column is None and field in spec.line_fields and not _line_mode(spec, mapping):
            continue
        values, found = _check_field(batch, spec, field, column, mapping, timezone)
        columns.append(values)
        problems += found
    if LINE_NO in batch.columns:
        columns.append(batch[LINE_NO])
    typed = pl.DataFrame(columns)
    typed, more = _entity_rules(typed, batch, spec, mapping, currency)
    return CheckedBatch(typed, problems + more + _nul_cells(batch), batch)


NUL = "holds a NUL character (\\0), which the store cannot keep"


def _nul_cells(batch: pl.DataFrame) -> list[Problem]:
    """Return a problem for each cell holding NUL, mapped or an extra column."""
    found: list[Problem] = []
    for name, dtype in batch.schema.items():
        if dtype == pl.String:
            text = batch[name]
            bad = text.str.contains("\x00", literal=True).fill_null(False)
            found += _problems(
                batch[ROW], text.str.replace_all("\x00", "\\0", literal=True), bad, name, NUL
            )
    return found


def _line_mode(spec: EntitySpec, mapping: ColumnMapping) -> bool:
    return any(f.name in mapping.fields for f in spec.line_fields)


def _entity_rules(
    typed: pl.DataFrame,
    batch: pl.DataFrame,
    spec: EntitySpec,
    mapping: ColumnMapping,
    currency: str,
) -> tuple[pl.DataFrame, list[Problem]]:
    """Rules that involve more than one field, and derived columns."""
    problems: list[Problem] = []
    if "__margin" in typed.columns:
        # cost = amount − margin, unless the file gives cost itself.
        derived = pl.col("amount") - pl.col("__margin")
        if "cost" in typed.columns:
            derived = pl.coalesce(pl.col("cost"), derived)
        typed = typed.with_columns(derived.cast(pl.Decimal(18, 2)).alias("cost")).drop("__margin")
    if "currency" in [f.name for f in spec.fields]:
        cur = typed["currency"] if "currency" in typed.columns else pl.Series([None] * typed.height)
        cur = cur.cast(pl.String).str.to_uppercase().fill_null(currency)
        bad = ~cur.str.contains(r"^[A-Z]{3}$")
        column = mapping.fields.get("currency", "currency")
        problems += _problems(typed[ROW], cur, bad, column, "not a three-letter currency code")
        typed = typed.with_columns(cur.alias("currency"))
    for start, end in (("period_start", "period_end"), ("started_at", "cancelled_at")):
        if start in typed.columns and end in typed.columns:
            bad = (typed[end] < typed[start]).fill_null(False)
            column = mapping.fields.get(end, end)
            problems += _problems(
                typed[ROW],
                typed[end].cast(pl.String),
                bad,
                column,
                f"earlier than {mapping.fields.get(start, start)}",
            )
    if spec.extras_column:
        typed = typed.with_columns(_extras(batch, mapping).alias(spec.extras_column))
    return typed, problems


def _extras(batch: pl.DataFrame, mapping: ColumnMapping) -> pl.Series:
    """Unmapped columns become a JSON object per row (attributes, properties).

    Empty cells are left out, so a row's object holds only what the row says; a row with
    nothing to add gets null.
    """
    if not mapping.unmapped:
        return pl.Series([None] * batch.height, dtype=pl.String)
    encoded = [
        json.dumps(kept, ensure_ascii=False)
        if (kept := {k: v for k, v in row.items() if v})
        else None
        for row in batch.select(mapping.unmapped).iter_rows(named=True)
    ]
    return pl.Series(encoded, dtype=pl.String)
