"""current stages and scores as views of the latest run

The current stage and scores of every customer were copies of the latest run's history rows:
a million rows written twice per run, and deleted first. They become views that read the
history of the latest finished run (the same rule as before: the latest as-of day, then the
latest run), so a run makes its results current by finishing. ``stage_history`` keeps the
numbers behind each stage, which the current view shows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 16:10:00
"""

# ruff: noqa: S608  (the SQL below is built from this file's constants only)

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LATEST = "(SELECT id FROM scoring_runs WHERE status = 'done' ORDER BY as_of DESC, id DESC LIMIT 1)"
LATEST_DAY = (
    "(SELECT as_of FROM scoring_runs WHERE status = 'done' ORDER BY as_of DESC, id DESC LIMIT 1)"
)
# Written as one table and two scalar subqueries (no join), so SQLite folds the view into the
# queries that read it and looks rows up by the history's key (run_id, customer_id).
STAGES_VIEW = (
    "CREATE VIEW customer_stages AS SELECT h.customer_id, h.run_id, "
    f"{LATEST_DAY} AS as_of, h.stage, h.since, h.rule, h.numbers "
    f"FROM stage_history AS h WHERE h.run_id = {LATEST}"
)
SCORE_COLUMNS = (
    "clv",
    "p_alive",
    "expected_purchases_12m",
    "expected_spend",
    "historical_value",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "value_quadrant",
    "health_score",
    "health_band",
    "health_reasons",
    "lead_fit",
    "lead_engagement",
    "lead_score",
    "lead_band",
    "lead_conversion",
    "churn_risk",
    "churn_reasons",
)
SCORES_VIEW = (
    "CREATE VIEW customer_scores AS SELECT h.customer_id, h.run_id, "
    f"{LATEST_DAY} AS as_of, {', '.join('h.' + c for c in SCORE_COLUMNS)} "
    f"FROM score_history AS h WHERE h.run_id = {LATEST}"
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # plain ADD COLUMN: a batch would copy every run's history into a new table
    op.add_column("stage_history", sa.Column("numbers", _json(), nullable=True))
    # the latest run's numbers move into its history before the copies go
    op.execute(
        "UPDATE stage_history SET numbers = (SELECT s.numbers FROM customer_stages AS s "
        "WHERE s.customer_id = stage_history.customer_id AND s.run_id = stage_history.run_id)"
    )
    with op.batch_alter_table("customer_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_stages_stage"))
        batch_op.drop_index(batch_op.f("ix_customer_stages_run_id"))
    op.drop_table("customer_stages")
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_scores_run_id"))
        batch_op.drop_index(batch_op.f("ix_customer_scores_clv"))
    op.drop_table("customer_scores")
    op.execute(STAGES_VIEW)
    op.execute(SCORES_VIEW)


def _score_type(name: str) -> sa.types.TypeEngine[Any]:
    if name in ("r_score", "f_score", "m_score"):
        return sa.SmallInteger()
    if name in ("rfm_segment", "value_quadrant"):
        return sa.String(length=32)
    if name in ("health_band", "lead_band"):
        return sa.String(length=8)
    if name in ("health_reasons", "churn_reasons"):
        return _json()
    return sa.Double()


def downgrade() -> None:
    op.execute("DROP VIEW customer_scores")
    op.execute("DROP VIEW customer_stages")
    op.create_table(
        "customer_stages",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("numbers", _json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_stages_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_customer_stages_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_stages")),
    )
    with op.batch_alter_table("customer_stages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_stages_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_stages_stage"), ["stage"], unique=False)
    op.create_table(
        "customer_scores",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        *(sa.Column(name, _score_type(name), nullable=True) for name in SCORE_COLUMNS),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_scores_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scoring_runs.id"], name=op.f("fk_customer_scores_run_id_scoring_runs")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_scores")),
    )
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_scores_clv"), ["clv"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_scores_run_id"), ["run_id"], unique=False)
    latest = f"WHERE h.run_id = {LATEST}"
    op.execute(
        "INSERT INTO customer_stages (customer_id, run_id, as_of, stage, since, rule, numbers) "
        f"SELECT h.customer_id, h.run_id, {LATEST_DAY}, h.stage, h.since, h.rule, h.numbers "
        f"FROM stage_history AS h {latest}"
    )
    op.execute(
        f"INSERT INTO customer_scores (customer_id, run_id, as_of, {', '.join(SCORE_COLUMNS)}) "
        f"SELECT h.customer_id, h.run_id, {LATEST_DAY}, "
        f"{', '.join('h.' + c for c in SCORE_COLUMNS)} FROM score_history AS h {latest}"
    )
    with op.batch_alter_table("stage_history", schema=None) as batch_op:
        batch_op.drop_column("numbers")
