"""churn risk and its reasons

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("customer_scores", "score_history")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("churn_risk", sa.Double(), nullable=True))
            batch_op.add_column(
                sa.Column(
                    "churn_reasons",
                    sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                    nullable=True,
                )
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("churn_reasons")
            batch_op.drop_column("churn_risk")
