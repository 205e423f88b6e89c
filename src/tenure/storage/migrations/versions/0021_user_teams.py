"""user teams: a playbook's task may go round-robin to the members of a team

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


# plain ADD and DROP COLUMN, never a batch copy: on SQLite a batch rebuilds the table, and
# dropping the old users table fails while customers and tasks refer to it


def upgrade() -> None:
    op.add_column("users", sa.Column("team", sa.String(length=63), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "team")
