"""loyalty referrals: members' codes and the friends who arrived by them

Revision ID: 0038
Revises: 0032
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenure.storage.types import UTCDateTime

revision = "0038"
down_revision = "0032"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_referral_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_referral_codes_programme_id_loyalty_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_referral_codes_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_referral_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_referral_codes_code")),
        sa.UniqueConstraint(
            "programme_id",
            "customer_id",
            name=op.f("uq_loyalty_referral_codes_programme_id_customer_id"),
        ),
    )
    op.create_index(
        op.f("ix_loyalty_referral_codes_customer_id"),
        "loyalty_referral_codes",
        ["customer_id"],
    )
    op.create_table(
        "loyalty_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("friend_id", sa.Integer(), nullable=False),
        sa.Column("referred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("rewarded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_referrals_programme_id_loyalty_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_referrals_referrer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["customers.id"], name=op.f("fk_loyalty_referrals_friend_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_loyalty_referrals_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_loyalty_referrals_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_referrals")),
        sa.UniqueConstraint(
            "programme_id", "friend_id", name=op.f("uq_loyalty_referrals_programme_id_friend_id")
        ),
    )
    op.create_index(op.f("ix_loyalty_referrals_referrer_id"), "loyalty_referrals", ["referrer_id"])
    op.create_index(op.f("ix_loyalty_referrals_status"), "loyalty_referrals", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_loyalty_referrals_status"), table_name="loyalty_referrals")
    op.drop_index(op.f("ix_loyalty_referrals_referrer_id"), table_name="loyalty_referrals")
    op.drop_table("loyalty_referrals")
    op.drop_index(
        op.f("ix_loyalty_referral_codes_customer_id"), table_name="loyalty_referral_codes"
    )
    op.drop_table("loyalty_referral_codes")
