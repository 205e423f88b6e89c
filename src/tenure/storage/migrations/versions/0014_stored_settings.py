"""stored settings: stage thresholds and health weights saved in the web app

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 18:40:28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tenure.storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_settings",
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column(
            "values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_stored_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("group", name=op.f("pk_stored_settings")),
    )


def downgrade() -> None:
    op.drop_table("stored_settings")
