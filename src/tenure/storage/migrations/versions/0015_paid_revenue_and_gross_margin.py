"""paid revenue and gross margin so far, per customer and run

A run kept one figure of the past per customer, ``historical_value``: the margin on what the
customer paid. Pages called it revenue ("Spent so far", "Revenue so far"), which it is not.
The run now keeps both: ``paid_revenue`` (paid orders up to the as-of day) and
``gross_margin`` (``historical_value`` renamed: margin × paid revenue). The latest finished
run gets its paid revenue back from its gross margin and the margin it used; older runs keep
none (null). Saved segments whose filter names
``historical_value`` are rewritten to ``gross_margin``. The ``customer_scores`` view is made
again with the new columns.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 16:00:00
"""

# ruff: noqa: S608  (the SQL below is built from this file's constants only)

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LATEST = "(SELECT id FROM scoring_runs WHERE status = 'done' ORDER BY as_of DESC, id DESC LIMIT 1)"
LATEST_DAY = (
    "(SELECT as_of FROM scoring_runs WHERE status = 'done' ORDER BY as_of DESC, id DESC LIMIT 1)"
)
BEFORE = (  # the view's columns at 0014
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
AFTER = tuple(
    c
    for name in BEFORE
    for c in (("paid_revenue", "gross_margin") if name == "historical_value" else (name,))
)


def _view(columns: tuple[str, ...]) -> str:
    # one table and two scalar subqueries (no join), as 0011 made it: SQLite folds the view
    # into the queries that read it
    return (
        "CREATE VIEW customer_scores AS SELECT h.customer_id, h.run_id, "
        f"{LATEST_DAY} AS as_of, {', '.join('h.' + c for c in columns)} "
        f"FROM score_history AS h WHERE h.run_id = {LATEST}"
    )


def _rename_field(tree: Any, old: str, new: str) -> Any:
    """Return a filter tree with every leaf naming ``old`` naming ``new``."""
    if isinstance(tree, list):
        return [_rename_field(node, old, new) for node in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: _rename_field(v, old, new) for k, v in tree.items()}
    if out.get("field") == old:
        out["field"] = new
    return out


def _rename_in_segments(old: str, new: str) -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    segments = sa.table("segments", sa.column("id", sa.Integer()), sa.column("filter", json_type))
    conn = op.get_bind()
    for segment_id, tree in conn.execute(sa.select(segments.c.id, segments.c.filter)).all():
        renamed = _rename_field(tree, old, new)
        if renamed != tree:
            conn.execute(
                sa.update(segments).where(segments.c.id == segment_id).values(filter=renamed)
            )


def _latest_margin() -> tuple[int, float] | None:
    """Return the latest finished run and the margin its value model used, if it kept one."""
    runs = sa.table(
        "scoring_runs",
        sa.column("id", sa.Integer()),
        sa.column("counts", sa.JSON()),
        sa.column("status", sa.String()),
        sa.column("as_of", sa.Date()),
    )
    found = (
        op.get_bind()
        .execute(
            sa.select(runs.c.id, runs.c.counts)
            .where(runs.c.status == "done")
            .order_by(runs.c.as_of.desc(), runs.c.id.desc())
            .limit(1)
        )
        .first()
    )
    margin = ((found[1] or {}).get("value") or {}).get("margin") if found else None
    return (int(found[0]), float(margin)) if found and margin else None


def upgrade() -> None:
    op.execute("DROP VIEW customer_scores")
    # plain ALTER TABLE (SQLite ≥ 3.25, PostgreSQL): a batch would copy every run's history
    op.execute("ALTER TABLE score_history RENAME COLUMN historical_value TO gross_margin")
    op.add_column("score_history", sa.Column("paid_revenue", sa.Double(), nullable=True))
    latest = _latest_margin()
    if latest is not None:  # the current figures read right at once, not after the next run
        op.execute(
            sa.text(
                "UPDATE score_history SET paid_revenue = gross_margin / :margin "
                "WHERE run_id = :run_id"
            ).bindparams(run_id=latest[0], margin=latest[1])
        )
    op.execute(_view(AFTER))
    _rename_in_segments("historical_value", "gross_margin")


def downgrade() -> None:
    # a filter on paid_revenue has no counterpart before 0015: it stays, and the segment's next
    # refresh names the unknown field rather than quietly filtering on margin instead
    _rename_in_segments("gross_margin", "historical_value")
    op.execute("DROP VIEW customer_scores")
    op.execute("ALTER TABLE score_history DROP COLUMN paid_revenue")  # SQLite ≥ 3.35
    op.execute("ALTER TABLE score_history RENAME COLUMN gross_margin TO historical_value")
    op.execute(_view(BEFORE))
