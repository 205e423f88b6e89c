"""lead scores

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 13:18:34.513861
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_fit", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lead_engagement", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lead_score", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lead_band", sa.String(length=8), nullable=True))

    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_fit", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lead_engagement", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lead_score", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lead_band", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.drop_column("lead_band")
        batch_op.drop_column("lead_score")
        batch_op.drop_column("lead_engagement")
        batch_op.drop_column("lead_fit")

    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_column("lead_band")
        batch_op.drop_column("lead_score")
        batch_op.drop_column("lead_engagement")
        batch_op.drop_column("lead_fit")
