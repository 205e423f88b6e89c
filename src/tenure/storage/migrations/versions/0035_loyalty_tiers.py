"""loyalty tiers: each member's tier over time, as the scoring run's reviews decided

Revision ID: 0035
Revises: 0032
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenure.storage.types import Money

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_tier_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=64), nullable=False),
        sa.Column("from_tier", sa.String(length=64), nullable=True),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("below_since", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("metric", Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_tier_memberships_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_tier_memberships_programme_id_loyalty_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier_memberships")),
    )
    op.create_index(
        op.f("ix_loyalty_tier_memberships_customer_id"),
        "loyalty_tier_memberships",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_loyalty_tier_memberships_programme_id_ended_on",
        "loyalty_tier_memberships",
        ["programme_id", "ended_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("loyalty_tier_memberships")
