"""loyalty: programmes, member accounts, the append-only ledger, allocations and refunds

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenure.storage.types import Money, UTCDateTime

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programmes")),
        sa.UniqueConstraint("key", name=op.f("uq_loyalty_programmes_key")),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("touched_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_accounts_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_accounts_programme_id_loyalty_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_accounts")),
        sa.UniqueConstraint(
            "programme_id", "customer_id", name=op.f("uq_loyalty_accounts_programme_id_customer_id")
        ),
    )
    op.create_index(
        op.f("ix_loyalty_accounts_customer_id"), "loyalty_accounts", ["customer_id"], unique=False
    )
    op.create_table(
        "loyalty_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("available_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=True),
        sa.Column("basis", Money(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_loyalty_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_entries_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_loyalty_entries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_entries_programme_id_loyalty_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_entries_reverses_id_loyalty_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_loyalty_entries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
        sa.UniqueConstraint(
            "programme_id", "key", name=op.f("uq_loyalty_entries_programme_id_key")
        ),
    )
    op.create_index(
        "ix_loyalty_entries_account_id_occurred_at",
        "loyalty_entries",
        ["account_id", "occurred_at"],
        unique=False,
    )
    for column in ("expires_at", "order_id", "reverses_id"):
        op.create_index(
            op.f(f"ix_loyalty_entries_{column}"), "loyalty_entries", [column], unique=False
        )
    op.create_table(
        "loyalty_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_loyalty_allocations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_allocations_draw_id_loyalty_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_allocations_lot_id_loyalty_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_allocations")),
    )
    for column in ("draw_id", "lot_id"):
        op.create_index(
            op.f(f"ix_loyalty_allocations_{column}"), "loyalty_allocations", [column], unique=False
        )
    op.create_table(
        "loyalty_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("refunded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_loyalty_refunds_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["loyalty_programmes.id"],
            name=op.f("fk_loyalty_refunds_programme_id_loyalty_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_refunds")),
        sa.UniqueConstraint(
            "programme_id", "key", name=op.f("uq_loyalty_refunds_programme_id_key")
        ),
    )
    op.create_index(
        op.f("ix_loyalty_refunds_order_id"), "loyalty_refunds", ["order_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "loyalty_refunds",
        "loyalty_allocations",
        "loyalty_entries",
        "loyalty_accounts",
        "loyalty_programmes",
    ):
        op.drop_table(table)
