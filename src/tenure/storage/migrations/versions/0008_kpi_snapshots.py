"""kpi snapshots

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_snapshots",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_kpi_snapshots_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_kpi_snapshots")),
    )
    with op.batch_alter_table("kpi_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_snapshots_as_of"), ["as_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kpi_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_snapshots_as_of"))
    op.drop_table("kpi_snapshots")
