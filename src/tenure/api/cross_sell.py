"""Cross-sell: the latest run's purchase sequences, who is due for B, a customer's offers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine

from tenure.api.auth import Guard, audit_actor, caller
from tenure.api.params import PathId
from tenure.domains.crosssell import service as cross_sell
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission as P
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction

LANG = Query("en", pattern="^(en|zh)$", description="The language of the reasons: en or zh.")


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the cross-sell routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/cross-sell/pairs", P.READ_REPORTS)
    def sequence_pairs(
        level: str | None = Query(None, description="product or category; both when left out."),
        category: str | None = Query(None, description="Pairs from or to this category."),
        min_share: float = Query(0.0, ge=0.0, le=1.0, description="Of A buyers who buy B."),
        min_z: float | None = Query(None, ge=-1e6, le=1e6),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=1_000_000),
    ) -> dict[str, Any]:
        """Return the latest run's pairs (A, then B), strongest (z) first, a page at a time."""
        with engine.connect() as conn:
            return cross_sell.pairs(
                conn,
                level=level,
                category=category,
                min_share=min_share,
                min_z=min_z,
                limit=limit,
                offset=offset,
            )

    @guard.route("GET", "/cross-sell/due", P.READ_CUSTOMERS)
    def due_customers(
        a: str | None = Query(None, max_length=128, description="The pair's A (with b)."),
        b: str | None = Query(None, max_length=128, description="The pair's B."),
        level: str | None = Query(None, description="product or category."),
        lang: str = LANG,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=1_000_000),
    ) -> dict[str, Any]:
        """Return the customers due now for B: of the pair (a, b), or of every pair without.

        Due: the customer bought A at least the pair's median lag ago, has not bought B, and
        no one dismissed the offer in the last 30 days. Best offers first, a page at a time.
        """
        with engine.connect() as conn:
            return cross_sell.due(
                conn, utcnow(), a=a, b=b, level=level, lang=lang, limit=limit, offset=offset
            )

    @guard.route("GET", "/customers/{customer_id}/offers", P.READ_CUSTOMERS)
    def customer_offers(customer_id: PathId, lang: str = LANG) -> dict[str, Any]:
        """Return a customer's next best offers with when and why (dismissed ones left out)."""
        with engine.connect() as conn:
            return cross_sell.customer_offers(conn, customer_id, utcnow(), lang)

    @guard.route("POST", "/customers/{customer_id}/offers/{item}/dismiss", P.EDIT_CUSTOMERS)
    def dismiss_offer(
        customer_id: PathId,
        request: Request,
        item: str = Path(min_length=1, max_length=128),
    ) -> dict[str, Any]:
        """Dismiss an offer for 30 days: not offered nor listed as due until then; recorded."""
        with write_transaction(engine) as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            return cross_sell.dismiss(conn, audit_actor(request), customer_id, item, utcnow())
