"""loyalty: partial indexes on entries' expiry, order and reversed lot

Revision ID: 0048
Revises: 0043
Create Date: 2026-12-06 10:00:00

Most ledger entries leave these columns empty (an expiry has no expiry date, order or reversed
lot; an earning is rarely reversed). Indexing only the rows that hold a value keeps the same
lookups (a comparison on the column implies it is not NULL, on both databases) and spares every
write the upkeep of the NULLs: millions of rows in a pass over a big store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0043"
branch_labels = None
depends_on = None

COLUMNS = ("expires_at", "order_id", "reverses_id")


def upgrade() -> None:
    for column in COLUMNS:
        name = f"ix_loyalty_entries_{column}"
        op.drop_index(name, table_name="loyalty_entries")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, "loyalty_entries", [column], sqlite_where=where, postgresql_where=where
        )


def downgrade() -> None:
    for column in COLUMNS:
        name = f"ix_loyalty_entries_{column}"
        op.drop_index(name, table_name="loyalty_entries")
        op.create_index(name, "loyalty_entries", [column])
