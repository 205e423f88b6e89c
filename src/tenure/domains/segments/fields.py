"""What a segment's filter can name: customer attributes, the current stage and scores.

One map serves both ways a filter is evaluated: ``columns`` for SQL over every customer, and
``record`` for one customer in memory (the same values, read through the same columns).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from tenure.domains.customers.models import Customer
from tenure.domains.scoring import views
from tenure.domains.scoring.models import REASON_COLUMNS, SCORE_COLUMNS
from tenure.storage.rows import plain_row

CUSTOMER_FIELDS = (
    "acquisition_channel",
    "country",
    "region",
    "city",
    "industry",
    "company_size",
    "gender",
    "email_consent",
    "sms_consent",
    "owner_id",
)
SCORE_FIELDS = tuple(c for c in SCORE_COLUMNS if c not in REASON_COLUMNS)
FIELDS = ("customer_id", *CUSTOMER_FIELDS, "stage", *SCORE_FIELDS)


def columns() -> dict[str, ColumnElement[Any]]:
    """Return field name → column of the customer view (customers ⟕ stages ⟕ scores)."""
    # A filter names its fields: this registry maps each name to its column, so the customer
    # fields are looked up by name in the customers table (typed ``Table``, not ``Any``).
    customers, stages, scores = Customer.__table__, views.customer_stages, views.customer_scores
    out: dict[str, ColumnElement[Any]] = {"customer_id": customers.c.id}
    out |= {name: customers.c[name] for name in CUSTOMER_FIELDS}
    out["stage"] = stages.c.stage
    out |= {name: scores.c[name] for name in SCORE_FIELDS}
    return out


def view(*selected: ColumnElement[Any] | InstrumentedAttribute[Any]) -> Select[Any]:
    """Select ``selected`` from every customer, with their current stage and scores if any."""
    stages, scores = views.customer_stages, views.customer_scores
    return (
        select(*selected)
        .select_from(Customer)
        .outerjoin(stages, stages.c.customer_id == Customer.id)
        .outerjoin(scores, scores.c.customer_id == Customer.id)
    )


def record(conn: Connection, customer_id: int) -> dict[str, Any] | None:
    """Return one customer's fields as a dict (None when there is no such customer)."""
    cols = columns()
    row = (
        conn.execute(
            view(*(c.label(name) for name, c in cols.items())).where(
                cols["customer_id"] == customer_id
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else plain_row(row)
