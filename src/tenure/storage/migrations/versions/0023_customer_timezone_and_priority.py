"""customer time zones; message priority and longer reasons (send windows, the cap's priority)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE: a batch would rebuild customers, which SQLite refuses with the
    # foreign keys pointing at it
    op.add_column("customers", sa.Column("timezone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        # "displaced_by:playbook:<name>" outgrows 64 characters
        batch_op.alter_column(
            "reason",
            existing_type=sa.String(length=64),
            type_=sa.String(length=200),
            existing_nullable=True,
        )


def downgrade() -> None:
    op.execute("UPDATE messages SET reason = substr(reason, 1, 64) WHERE length(reason) > 64")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column(
            "reason",
            existing_type=sa.String(length=200),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch_op.drop_column("priority")
    op.drop_column("customers", "timezone")
