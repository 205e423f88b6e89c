"""users.credentials_generation: a count bumped whenever what a user may do changes

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 02:10:00

A password reset, a role or team change, a deactivation or a revoked token bumps it; a server
that remembers an API token's caller checks the remembered count against the stored one on
every call, so a change made elsewhere (the CLI, another server process) holds at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0037"
branch_labels = None
depends_on = None


# plain ADD and DROP COLUMN, never a batch copy (see 0028)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "credentials_generation", sa.Integer(), nullable=False, server_default=sa.text("0")
        ),
    )


def downgrade() -> None:
    op.drop_column("users", "credentials_generation")
