"""enrollments.global_control: enrolled in a marketing playbook while in the global control group

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-05 18:40:00

Such an enrollment runs no step (like a holdout) and is left out of its playbook's own
comparison; it measures the whole programme against the global control (docs/experiments.md).
Earlier enrollments were made without a global control: none of them belongs to it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0028"
branch_labels = None
depends_on = None


# plain ADD and DROP COLUMN, never a batch copy: on SQLite a batch rebuilds the table


def upgrade() -> None:
    op.add_column(
        "enrollments",
        sa.Column("global_control", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("enrollments", "global_control")
