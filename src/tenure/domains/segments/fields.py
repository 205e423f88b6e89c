"""What a segment's filter can name: customer attributes, stage, scores and offers.

One map serves both ways a filter is evaluated: ``filterable`` for SQL over every customer
(``columns`` are its plain columns), and ``record`` for one customer in memory (the same
values, read through the same columns and the cross-sell repository).

The offers' fields (docs/cross-sell.md): ``due_for`` and ``due_for_category``, the sets of
products and categories a customer is due for now (as the Cross-sell page's due lists);
``offer_score`` and ``category_offer_score``, the score of the customer's stored offer of an
item (a per-item field: ``{"field": "offer_score", "item": "KIT-004", ...}``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from tenure.domains.crosssell import repository as offers
from tenure.domains.customers.models import Customer
from tenure.domains.scoring import views
from tenure.domains.scoring.models import REASON_COLUMNS, SCORE_COLUMNS
from tenure.kit.filters import Field, ItemField, SetField
from tenure.kit.timeutil import utcnow
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
# field → the level of the offers it reads
DUE_FIELDS = {"due_for": "product", "due_for_category": "category"}
OFFER_SCORE_FIELDS = {"offer_score": "product", "category_offer_score": "category"}
FIELDS = (
    "customer_id",
    *CUSTOMER_FIELDS,
    "stage",
    *SCORE_FIELDS,
    *DUE_FIELDS,
    *OFFER_SCORE_FIELDS,
)


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


def customer_id() -> ColumnElement[Any]:
    """Return the customer's id column of the view."""
    return Customer.__table__.c.id


def filterable(now: datetime | None = None) -> dict[str, Field]:
    """Return every field a filter may name → its column, or its set or per-item SQL."""
    at = now or utcnow()  # a dismissal counts until its end
    who = Customer.__table__.c.id

    def due(level: str) -> SetField:
        return SetField(lambda items: offers.due_for(who, level, items, at))

    def score(level: str) -> ItemField:
        return ItemField(lambda item: offers.offer_score(who, level, item, at))

    out: dict[str, Field] = dict(columns())
    out |= {name: due(level) for name, level in DUE_FIELDS.items()}
    out |= {name: score(level) for name, level in OFFER_SCORE_FIELDS.items()}
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


def record(
    conn: Connection, customer_id: int, now: datetime | None = None
) -> dict[str, Any] | None:
    """Return one customer's fields as a dict (None when there is no such customer).

    ``due_for``/``due_for_category`` are frozensets; the offer scores dicts item → score.
    """
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
    if row is None:
        return None
    found = plain_row(row)
    held = offers.offers_of(conn, customer_id, now or utcnow())
    for name, level in DUE_FIELDS.items():
        found[name] = frozenset(o["item"] for o in held if o["level"] == level and o["due"])
    for name, level in OFFER_SCORE_FIELDS.items():
        mine = [o for o in held if o["level"] == level]
        found[name] = {o["item"]: o["score"] for o in mine}
    return found
