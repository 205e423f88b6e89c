"""surveys, survey_invitations, survey_answers: surveys sent with personal links, answered online

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tenure.storage.types

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

WHEN = tenure.storage.types.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("key", name=op.f("uq_surveys_key")),
    )
    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_invitations_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_invitations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_survey_invitations_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("key", name=op.f("uq_survey_invitations_key")),
    )
    op.create_index(
        op.f("ix_survey_invitations_survey_id"), "survey_invitations", ["survey_id"], unique=False
    )
    op.create_index(
        "ix_survey_invitations_customer_id_created_at",
        "survey_invitations",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("answered_at", WHEN, nullable=False),
        sa.Column("changed_at", WHEN, nullable=True),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_answers_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_survey_answers_invitation_id_survey_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_answers_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_survey_answers_invitation_id")),
        sa.UniqueConstraint(
            "survey_id", "sender_id", name=op.f("uq_survey_answers_survey_id_sender_id")
        ),
    )
    op.create_index(
        op.f("ix_survey_answers_customer_id"), "survey_answers", ["customer_id"], unique=False
    )
    op.create_index(
        "ix_survey_answers_survey_id_answered_at",
        "survey_answers",
        ["survey_id", "answered_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("survey_answers")
    op.drop_table("survey_invitations")
    op.drop_table("surveys")
