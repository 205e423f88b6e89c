"""cross-sell: a run's purchase sequences and next best offers, and dismissed offers

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-06 02:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenure.storage.types import UTCDateTime

revision = "0034"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sequence_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("a", sa.String(length=128), nullable=False),
        sa.Column("b", sa.String(length=128), nullable=False),
        sa.Column("a_category", sa.String(length=100), nullable=True),
        sa.Column("b_category", sa.String(length=100), nullable=True),
        sa.Column("buyers_a", sa.Integer(), nullable=False),
        sa.Column("buyers_b", sa.Integer(), nullable=False),
        sa.Column("buyers_after", sa.Integer(), nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("share_within", sa.Double(), nullable=True),
        sa.Column("lag_q1", sa.Double(), nullable=False),
        sa.Column("lag_median", sa.Double(), nullable=False),
        sa.Column("lag_q3", sa.Double(), nullable=False),
        sa.Column("lift", sa.Double(), nullable=False),
        sa.Column("expected", sa.Double(), nullable=False),
        sa.Column("z", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_sequence_pairs_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_pairs")),
    )
    op.create_index(
        "ix_sequence_pairs_run_id_level_z", "sequence_pairs", ["run_id", "level", "z"], unique=False
    )
    op.create_table(
        "customer_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("item", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("from_item", sa.String(length=128), nullable=True),
        sa.Column("from_on", sa.Date(), nullable=True),
        sa.Column("share", sa.Double(), nullable=True),
        sa.Column("share_within", sa.Double(), nullable=True),
        sa.Column("lag_median", sa.Double(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_offers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_customer_offers_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_offers")),
    )
    op.create_index(
        "ix_customer_offers_run_id_customer_id",
        "customer_offers",
        ["run_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_customer_offers_run_id_due_on", "customer_offers", ["run_id", "due_on"], unique=False
    )
    op.create_table(
        "offer_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=128), nullable=False),
        sa.Column("until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_offer_dismissals_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by"], ["users.id"], name=op.f("fk_offer_dismissals_dismissed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_dismissals")),
    )
    op.create_index(
        "ix_offer_dismissals_customer_id_item",
        "offer_dismissals",
        ["customer_id", "item"],
        unique=False,
    )


def downgrade() -> None:
    for table in ("offer_dismissals", "customer_offers", "sequence_pairs"):
        op.drop_table(table)
