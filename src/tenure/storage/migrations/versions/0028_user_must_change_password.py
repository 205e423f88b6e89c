"""users.must_change_password: a one-time password works for one sign-in, then a new one is set

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 13:10:00

Existing users chose (or were given) their password before this flag existed: they keep it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


# plain ADD and DROP COLUMN, never a batch copy: on SQLite a batch rebuilds the table, and
# dropping the old users table fails while customers and tasks refer to it


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("users", "must_change_password")
