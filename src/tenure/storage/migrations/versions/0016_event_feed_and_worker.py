"""event feed (source, commit order, readers' cursors), worker leases, the schedule, run leases

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tenure.storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# PostgreSQL hands out ids before commit and commits in any order: a reader that went by id
# alone could pass over a row whose transaction commits after a later one. Each row keeps the
# id of the transaction that wrote it, and readers wait for transactions still open
# (tenure.domains.events.feed). SQLite has one writer at a time: 0 there.
PG_TX = sa.text("(pg_current_xact_id()::text::bigint)")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="import", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "tx", sa.BigInteger(), server_default=PG_TX if postgres else "0", nullable=False
            )
        )
        batch_op.create_index(batch_op.f("ix_events_tx_id"), ["tx", "id"], unique=False)
        # replaces the index on type alone: a reader of some types walks them in feed order
        batch_op.drop_index("ix_events_type")
        batch_op.create_index("ix_events_type_tx_id", ["type", "tx", "id"], unique=False)

    op.create_table(
        "feed_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_feed_cursors")),
    )
    op.create_table(
        "worker_leases",
        sa.Column("worker_id", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_leases")),
    )
    with op.batch_alter_table("worker_leases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_leases_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "schedule_slots",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("last_slot", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenure.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_schedule_slots")),
    )
    with op.batch_alter_table("run_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("lease_until", tenure.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("run_requests", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
    op.drop_table("schedule_slots")
    with op.batch_alter_table("worker_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_leases_expires_at"))
    op.drop_table("worker_leases")
    op.drop_table("feed_cursors")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_tx_id")
        batch_op.create_index("ix_events_type", ["type"], unique=False)
        batch_op.drop_index(batch_op.f("ix_events_tx_id"))
        batch_op.drop_column("tx")
        batch_op.drop_column("source")
