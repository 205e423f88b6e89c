"""score_history: the customer list sorted by lead score reads an index (run_id, lead_score)

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-05 09:00:00

The list sorts the current run by clv and churn_risk through their (run_id, score) indexes
(0013); sorting by lead score without one would sort every customer of the run per page.
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0024"  # (no 0025: that number went unused)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_score_history_run_id_lead_score", "score_history", ["run_id", "lead_score"])


def downgrade() -> None:
    op.drop_index("ix_score_history_run_id_lead_score", "score_history")
