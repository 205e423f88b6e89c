"""rfm segments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:06:58.327192
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("r_score", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("f_score", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("m_score", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("rfm_segment", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("value_quadrant", sa.String(length=32), nullable=True))

    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("r_score", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("f_score", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("m_score", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("rfm_segment", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("value_quadrant", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_history", schema=None) as batch_op:
        batch_op.drop_column("value_quadrant")
        batch_op.drop_column("rfm_segment")
        batch_op.drop_column("m_score")
        batch_op.drop_column("f_score")
        batch_op.drop_column("r_score")

    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_column("value_quadrant")
        batch_op.drop_column("rfm_segment")
        batch_op.drop_column("m_score")
        batch_op.drop_column("f_score")
        batch_op.drop_column("r_score")
