"""loyalty: the cents of an order's basis that the set-based earning dropped

Revision ID: 0047
Revises: 0034
Create Date: 2026-12-06 09:40:00

Earning over many orders at once wrote each entry's basis (the order's amount, against which a
partial refund takes points back in proportion) as a whole number: 120.30 was stored as 120.00
and 999.99 as 1000.00. An order earn entry whose basis is whole and within one unit of its
order's amount, but not equal to it, takes the order's amount: the amount can only have moved
that way through the bug (a re-imported order whose amount changed moves by more, or to a
non-whole basis, and keeps the basis it was earned on). Nothing to undo on the way down.
"""

from __future__ import annotations

from alembic import op

revision = "0047"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE loyalty_entries
        SET basis = (SELECT o.amount FROM orders o WHERE o.id = loyalty_entries.order_id)
        WHERE kind = 'earn' AND key LIKE 'order:%' AND basis IS NOT NULL
          AND basis = ROUND(basis)
          AND EXISTS (
            SELECT 1 FROM orders o
            WHERE o.id = loyalty_entries.order_id
              AND o.amount <> loyalty_entries.basis
              AND ABS(o.amount - loyalty_entries.basis) < 1
          )
        """
    )


def downgrade() -> None:
    pass
