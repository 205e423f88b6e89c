"""health scores

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:12:54.206885
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_score", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("health_band", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column(
                "health_reasons",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )

    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_score", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("health_band", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column(
                "health_reasons",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.drop_column("health_reasons")
        batch_op.drop_column("health_band")
        batch_op.drop_column("health_score")

    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_column("health_reasons")
        batch_op.drop_column("health_band")
        batch_op.drop_column("health_score")
