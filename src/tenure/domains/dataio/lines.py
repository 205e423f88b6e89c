"""Order files with one row per line item (Shopify-style): group rows into orders and lines.

The rows of one order must stand together. A batch boundary may cut an order in two, so the
tail of each batch that belongs to its last order is carried over to the next batch.
Order-level cells are often filled only on an order's first row; they are filled down.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection

from tenure.domains.dataio import repository as repo
from tenure.domains.dataio.fields import ORDERS
from tenure.domains.dataio.mapping import ColumnMapping
from tenure.domains.dataio.validate import LINE_NO, LINE_PREFIX

LINE_COLUMNS = tuple(f.name for f in ORDERS.line_fields)


class LineSplitter:
    """Carries an order cut by a batch boundary over to the next batch."""

    def __init__(self, mapping: ColumnMapping) -> None:
        self.active = any(name in mapping.fields for name in LINE_COLUMNS)
        self.order_col = mapping.fields["order_id"]
        self.order_level = [c for f, c in mapping.fields.items() if f not in LINE_COLUMNS]
        self.carry: pl.DataFrame | None = None

    def take(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Return the rows of ``batch`` (plus any carried rows) that form whole orders."""
        if not self.active:
            return batch
        if self.carry is not None:
            batch = pl.concat([self.carry, batch])
        last = batch[self.order_col][-1]
        run = (batch[self.order_col] != last).cast(pl.Int32).cum_sum()
        tail = run == run[-1]
        tail = tail & (batch[self.order_col] == last).fill_null(False)
        self.carry = batch.filter(tail)
        return self._with_lines(batch.filter(~tail))

    def rest(self) -> pl.DataFrame | None:
        """Return the rows still carried at the end of the file."""
        if not self.active or self.carry is None or self.carry.height == 0:
            return None
        rest, self.carry = self.carry, None
        return self._with_lines(rest)

    def _with_lines(self, batch: pl.DataFrame) -> pl.DataFrame:
        key = pl.col(self.order_col)
        run = (key != key.shift(1)).fill_null(True).cum_sum().alias("__run")
        batch = batch.with_columns(run)
        filled = [pl.col(c).forward_fill().over("__run") for c in self.order_level]
        line_no = pl.int_range(1, pl.len() + 1).over("__run").alias(LINE_NO)
        return batch.with_columns(*filled, line_no).drop("__run")


def write_lines(conn: Connection, good: pl.DataFrame) -> None:
    """Upsert the lines of the orders in ``good`` and drop lines an order no longer has."""
    ids = repo.ids_for(conn, "orders", good["external_id"].unique().to_list())
    given = [
        pl.col(LINE_PREFIX + n)
        for n in LINE_COLUMNS
        if LINE_PREFIX + n in good.columns and n != "quantity"
    ]  # quantity defaults to 1, so it says nothing on its own
    good = good.filter(pl.any_horizontal(pl.all_horizontal(c.is_null() for c in given).not_()))
    lines = good.select(
        pl.col("external_id").replace_strict(ids, return_dtype=pl.Int64).alias("order_id"),
        pl.col(LINE_NO).cast(pl.Int64).alias("line_no"),
        *(
            pl.col(LINE_PREFIX + name).alias(name)
            for name in LINE_COLUMNS
            if LINE_PREFIX + name in good.columns
        ),
    )
    repo.upsert(conn, "order_lines", lines, ["order_id", "line_no"], stamp=None)
    counts = lines.group_by("order_id").agg(pl.col("line_no").max().alias("lines"))
    repo.delete_stale_lines(conn, counts)
