"""customer scores

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:57:08.355829
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_scores",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("p_alive", sa.Double(), nullable=True),
        sa.Column("expected_purchases_12m", sa.Double(), nullable=True),
        sa.Column("expected_spend", sa.Double(), nullable=True),
        sa.Column("clv", sa.Double(), nullable=True),
        sa.Column("historical_value", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_scores_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_customer_scores_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_scores")),
    )
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_scores_clv"), ["clv"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_scores_run_id"), ["run_id"], unique=False)

    op.create_table(
        "score_history",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("p_alive", sa.Double(), nullable=True),
        sa.Column("expected_purchases_12m", sa.Double(), nullable=True),
        sa.Column("expected_spend", sa.Double(), nullable=True),
        sa.Column("clv", sa.Double(), nullable=True),
        sa.Column("historical_value", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_score_history_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_score_history_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "customer_id", name=op.f("pk_score_history")),
    )


def downgrade() -> None:
    op.drop_table("score_history")
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_scores_run_id"))
        batch_op.drop_index(batch_op.f("ix_customer_scores_clv"))

    op.drop_table("customer_scores")
