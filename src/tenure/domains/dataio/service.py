"""Import a file into the store: read → map → check → resolve references → upsert.

Nothing is lost silently. By default the whole file is checked and nothing is kept unless
every row is valid (``ImportRejected`` makes the caller roll back). With ``skip_invalid``
the valid rows are written and the bad ones go, with their reasons, to ``FILE.rejected.csv``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection

from tenure.domains.dataio import repository as repo
from tenure.domains.dataio.fields import ENTITIES, NATURAL_KEYS, EntitySpec
from tenure.domains.dataio.keys import event_keys
from tenure.domains.dataio.lines import LineSplitter, write_lines
from tenure.domains.dataio.mapping import ColumnMapping, MappingRequest, resolve
from tenure.domains.dataio.problems import Problem
from tenure.domains.dataio.readers import ROW, open_source
from tenure.domains.dataio.rejects import RejectWriter
from tenure.domains.dataio.validate import (
    CUSTOMER_REF,
    LINE_NO,
    LINE_PREFIX,
    OWNER_REF,
    CheckedBatch,
    check_batch,
)
from tenure.domains.events.models import EventSource
from tenure.domains.surveys import answers
from tenure.kit.errors import InvalidInput
from tenure.kit.zones import check_zone
from tenure.storage.bulk import secondary_indexes_deferred

Progress = Callable[[int], None]
KEPT_PROBLEMS = 1_000  # kept in full in the report; beyond that they are counted


@dataclass
class ImportOptions:
    """What to import and how strictly."""

    entity: str
    path: Path
    mapping: MappingRequest = field(default_factory=MappingRequest)
    skip_invalid: bool = False
    dry_run: bool = False
    create_customers: bool = False
    encoding: str = "utf-8"
    timezone: str = "UTC"
    currency: str = "USD"
    batch_rows: int = 100_000
    shown_problems: int = 20  # in the ImportRejected message


@dataclass
class ImportReport:
    """What an import did, row by row in total."""

    entity: str
    path: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first KEPT_PROBLEMS
    problem_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejected_file: str | None = None
    created_customers: int = 0
    written: bool = False
    seconds: float = 0.0

    def summary(self) -> dict[str, object]:
        """Return the report as plain data (``--json``)."""
        return {
            "entity": self.entity,
            "file": self.path,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "created_customers": self.created_customers,
            "written": self.written,
            "rejected_file": self.rejected_file,
            "ignored_columns": self.ignored_columns,
            "seconds": round(self.seconds, 3),
            "problem_count": self.problem_count,
            "problems": [p.describe(self.path) for p in self.problems],
        }


class ImportRejected(InvalidInput):
    """The file has problems and nothing was written; ``report`` lists them."""

    def __init__(self, report: ImportReport, shown_problems: int = 20) -> None:
        shown = "\n".join(p.describe(report.path) for p in report.problems[:shown_problems])
        more = report.problem_count - min(shown_problems, len(report.problems))
        tail = f"\n… and {more} more" if more > 0 else ""
        super().__init__(
            f"{report.path}: {report.problem_count} problem(s) in {report.rejected} row(s); "
            f"nothing was written. Fix them, or import the valid rows with --skip-invalid.\n"
            f"{shown}{tail}"
        )
        self.report = report


class _Importer:
    def __init__(self, conn: Connection, options: ImportOptions, now: datetime) -> None:
        if options.entity not in ENTITIES:
            raise InvalidInput(
                f"cannot import {options.entity!r}; choose from {', '.join(ENTITIES)}"
            )
        zone = check_zone(options.timezone, "--timezone")  # before any row is read
        options = replace(options, timezone=zone or "UTC")
        self.conn, self.options, self.now = conn, options, now
        self.spec: EntitySpec = ENTITIES[options.entity]
        self.report = ImportReport(options.entity, str(options.path))
        self.seen: pl.DataFrame | None = None  # key column(s) and the row first seen on
        self.customers: dict[str, int] = {}
        self.owners: dict[str, int] = {}
        self.table = self.spec.table
        self.key = self._store_key()
        self.fresh = False

    def _store_key(self) -> list[str]:
        if self.spec.key_field is not None:
            return [self.spec.field(self.spec.key_field).store_column]
        return list(NATURAL_KEYS[self.spec.name])

    def run(self, progress: Progress | None) -> ImportReport:
        opts = self.options
        source = open_source(opts.path, encoding=opts.encoding, batch_rows=opts.batch_rows)
        rejects = RejectWriter(opts.path, source.columns) if opts.skip_invalid else None
        try:
            mapping = resolve(source.columns, self.spec, opts.mapping)
            check_zone(mapping.timezone, "the mapping's timezone")
            if self.spec.extras_column is None:
                self.report.ignored_columns = mapping.unmapped
            if self.spec.refers_to_customer:
                self.customers = repo.id_map(self.conn, "customers", "external_id")
            if "owner_email" in mapping.fields:
                self.owners = repo.id_map(self.conn, "users", "email")
            lines = LineSplitter(mapping) if self.spec.line_fields else None
            self.fresh = not opts.dry_run and repo.count_rows(self.conn, self.table) == 0
            # Into an empty table: build secondary indexes once at the end, not row by row.
            deferred = (
                secondary_indexes_deferred(self.conn, repo.table(self.table))
                if self.fresh
                else nullcontext()
            )
            with deferred:
                for raw in source.batches:
                    batch = lines.take(raw) if lines else raw
                    self._one_batch(batch, mapping, rejects, progress, raw.height)
                if lines and (rest := lines.rest()) is not None:
                    self._one_batch(rest, mapping, rejects, progress, 0)
        finally:
            source.close()
            if rejects:
                self.report.rejected_file = rejects.close()
        clean = not self.report.problem_count or opts.skip_invalid
        self.report.written = clean and not opts.dry_run
        if not clean and not opts.dry_run:
            raise ImportRejected(self.report, opts.shown_problems)
        return self.report

    def _one_batch(
        self,
        batch: pl.DataFrame,
        mapping: ColumnMapping,
        rejects: RejectWriter | None,
        progress: Progress | None,
        read: int,
    ) -> None:
        opts = self.options
        checked = check_batch(
            batch, self.spec, mapping, timezone=opts.timezone, currency=opts.currency
        )
        self.report.rows += batch.height
        typed = self._resolve(checked, mapping)
        self._duplicates(checked, typed)
        bad = checked.bad_rows
        self.report.problem_count += len(checked.problems)
        room = KEPT_PROBLEMS - len(self.report.problems)
        if room > 0:
            self.report.problems += sorted(checked.problems)[:room]
        self.report.rejected += len(bad)
        if rejects is not None and bad:
            rejects.write(checked)
        good = typed.filter(~pl.col(ROW).is_in(list(bad))) if bad else typed
        if not opts.dry_run and (opts.skip_invalid or not self.report.problem_count):
            self._write(good)
        if progress:
            progress(read)

    def _resolve(self, checked: CheckedBatch, mapping: ColumnMapping) -> pl.DataFrame:
        typed = checked.typed
        if CUSTOMER_REF in typed.columns:
            typed = self._customer_ids(checked, typed, mapping.fields["customer_id"])
        if OWNER_REF in typed.columns:
            refs = typed[OWNER_REF]
            ids = refs.replace_strict(self.owners, default=None, return_dtype=pl.Int64)
            unknown = typed.filter(refs.is_not_null() & ids.is_null())
            for row, ref in unknown.select(ROW, OWNER_REF).iter_rows():
                checked.problems.append(
                    Problem(
                        row, mapping.fields["owner_email"], "no Tenure user has this email", ref
                    )
                )
            typed = typed.with_columns(ids.alias("owner_id")).drop(OWNER_REF)
        if self.spec.name == "events":
            typed = typed.with_columns(event_keys(typed).alias("external_id"))
        return typed

    def _customer_ids(
        self, checked: CheckedBatch, typed: pl.DataFrame, column: str
    ) -> pl.DataFrame:
        refs = typed[CUSTOMER_REF]
        unknown = typed.filter(refs.is_not_null() & ~refs.is_in(list(self.customers)))
        if unknown.height and self.options.create_customers:
            self._create_customers(unknown)
        elif unknown.height:
            for row, ref in unknown.select(ROW, CUSTOMER_REF).iter_rows():
                checked.problems.append(
                    Problem(
                        row,
                        column,
                        "unknown customer: import customers first, or pass "
                        "--create-customers to create them from this file",
                        ref,
                    )
                )
        ids = refs.replace_strict(self.customers, default=None, return_dtype=pl.Int64)
        return typed.with_columns(ids.alias("customer_id"))

    def _create_customers(self, unknown: pl.DataFrame) -> None:
        time_col = next(
            c
            for c in ("ordered_at", "occurred_at", "answered_at", "started_at")
            if c in unknown.columns
        )
        first = unknown.group_by(CUSTOMER_REF).agg(pl.col(time_col).min().alias("acquired_at"))
        first = first.rename({CUSTOMER_REF: "external_id"})
        if not self.options.dry_run:
            repo.create_customers(self.conn, first, self.now)
            self.customers.update(repo.ids_for(self.conn, "customers", first["external_id"]))
        else:
            self.customers.update({k: -1 for k in first["external_id"]})
        self.report.created_customers += first.height

    def _duplicates(self, checked: CheckedBatch, typed: pl.DataFrame) -> None:
        """Flag keys seen earlier in this batch or in an earlier one, naming the first row."""
        if LINE_NO in typed.columns:  # an order's further lines repeat its id on purpose
            typed = typed.filter(pl.col(LINE_NO) == 1)
        keys = typed.select(*self.key, ROW).drop_nulls(self.key)
        keys = keys.with_columns(pl.col(ROW).first().over(self.key).alias("__first"))
        if self.seen is not None:
            earlier = keys.join(self.seen, on=self.key, how="left", nulls_equal=False)
            keys = keys.with_columns(
                pl.coalesce(earlier["__seen"], keys["__first"]).alias("__first")
            )
        repeated = keys.filter(pl.col("__first") != pl.col(ROW))
        label = self.spec.key_field or " + ".join(self.key)
        for row in repeated.iter_rows(named=True):
            value = " / ".join(str(row[k]) for k in self.key)
            checked.problems.append(
                Problem(row[ROW], label, f"duplicate {label}: also on row {row['__first']}", value)
            )
        fresh = keys.filter(pl.col("__first") == pl.col(ROW)).select(
            *self.key, pl.col(ROW).alias("__seen")
        )
        self.seen = fresh if self.seen is None else pl.concat([self.seen, fresh])

    def _write(self, good: pl.DataFrame) -> None:
        if good.height == 0:
            return
        columns = [c for c in good.columns if not c.startswith(("__", LINE_PREFIX)) and c != ROW]
        frame = good.select(columns).unique(subset=self.key, keep="first", maintain_order=True)
        stamp = self.now if self.spec.stamped else None
        if self.fresh:  # a first load into an empty table: every row is new
            inserted = changed = repo.upsert(self.conn, self.table, frame, None, stamp=stamp)
        else:
            before = repo.count_rows(self.conn, self.table)
            changed = repo.upsert(self.conn, self.table, frame, self.key, stamp=stamp)
            inserted = repo.count_rows(self.conn, self.table) - before
        self.report.inserted += inserted
        self.report.updated += changed - inserted
        self.report.unchanged += frame.height - changed
        if LINE_NO in good.columns:
            write_lines(self.conn, good)
        if self.spec.name == "surveys":  # answers are news for playbooks (NPS follow-up)
            answers.publish(self.conn, frame, EventSource.IMPORT)


def import_file(
    conn: Connection, options: ImportOptions, *, now: datetime, progress: Progress | None = None
) -> ImportReport:
    """Import ``options.path``; the caller commits (or rolls back on ``ImportRejected``)."""
    started = time.perf_counter()
    report = _Importer(conn, options, now).run(progress)
    report.seconds = time.perf_counter() - started
    return report
