"""playbook dry runs: dry runs on history asked for through the API or the web app

Revision ID: 0043
Revises: 0047
Create Date: 2026-12-06 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenure.storage.types import UTCDateTime

revision = "0043"
down_revision = "0047"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "playbook_dry_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=63), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_playbook_dry_runs_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_dry_runs")),
    )
    op.create_index(
        "ix_playbook_dry_runs_playbook_id", "playbook_dry_runs", ["playbook", "id"], unique=False
    )
    op.create_index(op.f("ix_playbook_dry_runs_status"), "playbook_dry_runs", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_playbook_dry_runs_status"), table_name="playbook_dry_runs")
    op.drop_index("ix_playbook_dry_runs_playbook_id", table_name="playbook_dry_runs")
    op.drop_table("playbook_dry_runs")
