"""accounts: passwords, active flag and last sign-in on users; API tokens

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 17:44:16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tenure.storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    # plain ADD COLUMN, not a batch copy: on SQLite a batch rebuilds the table and drops the
    # old one, which customers.owner_id refers to — refused with foreign keys on
    op.add_column("users", sa.Column("password_hash", sa.String(length=200), nullable=True))
    # existing users stay active
    op.add_column(
        "users", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column(
        "users",
        sa.Column("last_login_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (no rebuild of the referenced table)
    for column in ("last_login_at", "active", "password_hash"):
        op.drop_column("users", column)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
