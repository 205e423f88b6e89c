"""customers.erased_at: a person erased, their row kept as an anonymous shell

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 09:10:00

Erasure keeps the business's figures (orders, scores, stages stay with the row) and empties
everything that says who the person was; the time of erasure marks the row as such.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tenure.storage.types

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    erased_at: sa.Column[object] = sa.Column("erased_at", tenure.storage.types.UTCDateTime())
    op.add_column("customers", erased_at)


def downgrade() -> None:
    op.drop_column("customers", "erased_at")
