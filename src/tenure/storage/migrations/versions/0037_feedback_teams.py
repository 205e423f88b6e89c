"""teams, survey_routings, survey_followups: survey answers routed to the team that acts

Revision ID: 0037
Revises: 0032
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tenure.storage.types

revision = "0037"
down_revision = "0038"
branch_labels = None
depends_on = None

WHEN = tenure.storage.types.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("assign", sa.String(length=16), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["users.id"], name=op.f("fk_teams_lead_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("key", name=op.f("uq_teams_key")),
    )
    op.create_table(
        "survey_routings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=64), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file", sa.String(length=300), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_routings")),
        sa.UniqueConstraint("survey", name=op.f("uq_survey_routings_survey")),
    )
    op.create_table(
        "survey_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=63), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("escalated_at", WHEN, nullable=True),
        sa.Column("contacted_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("root_cause", sa.String(length=16), nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("check_invitation_id", sa.Integer(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["survey_answers.id"],
            name=op.f("fk_survey_followups_answer_id_survey_answers"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_followups_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_followups_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_survey_followups_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["check_invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_survey_followups_check_invitation_id_survey_invitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_followups")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_survey_followups_answer_id")),
        sa.UniqueConstraint("task_id", name=op.f("uq_survey_followups_task_id")),
    )
    op.create_index(
        "ix_survey_followups_team_closed_at",
        "survey_followups",
        ["team", "closed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_survey_followups_check_invitation_id"),
        "survey_followups",
        ["check_invitation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("survey_followups")
    op.drop_table("survey_routings")
    op.drop_table("teams")
