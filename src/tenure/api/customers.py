"""Customers: list and search, one customer's 360, create, change, erase; their orders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Engine

from tenure.api.auth import Guard, audit_actor, caller
from tenure.api.params import PathId
from tenure.domains.customers import changes, listing, privacy, timeline
from tenure.domains.customers import service as customers
from tenure.domains.customers.privacy import person_zip
from tenure.domains.customers.schemas import CustomerChange, NewCustomer
from tenure.domains.segments.service import parse_filter
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission as P
from tenure.kit.settings import Settings
from tenure.storage.engine import write_transaction


def routes(engine: Engine, settings: Settings, router: APIRouter) -> None:
    """Add the customer routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/customers", P.READ_CUSTOMERS)
    def list_customers(
        request: Request,
        after: str | None = Query(None, description="The cursor: `next` of the previous page."),
        limit: int = Query(50, ge=1, le=500),
        sort: str = Query("id", description=f"One of {', '.join(listing.SORTS)}."),
        q: str | None = Query(None, description="External id, email, or part of name/company."),
        stage: str | None = Query(None, description="Only customers in this stage."),
        segment: str | None = Query(None, description="Only members of this saved segment."),
        tag: str | None = Query(None),
        filter: str | None = Query(  # noqa: A002  (the public name of the parameter)
            None, description='A filter tree as JSON, e.g. {"field":"clv","op":">","value":500}.'
        ),
    ) -> dict[str, Any]:
        """List customers with their current stage and key scores, a page at a time."""
        tree = parse_filter(filter) if filter else None
        if stage:
            stage_leaf = {"field": "stage", "op": "=", "value": stage}
            tree = {"all": [tree, stage_leaf]} if tree else stage_leaf
        with engine.connect() as conn:
            query = listing.ListQuery(
                tree=tree,
                q=q,
                tag=tag,
                segment=segment,
                sort=sort,
                after=after,
                limit=limit,
                owners=access.owners_of(conn, caller(request), settings.access),
            )
            items, cursor = listing.listing(conn, query)
        return {"items": items, "next": cursor}

    @guard.route("POST", "/customers", P.EDIT_CUSTOMERS, status_code=201)
    def create_customer(body: NewCustomer, request: Request) -> dict[str, Any]:
        """Create a customer; answers 409 when the external id is taken."""
        with write_transaction(engine) as conn:
            customer_id = changes.create_customer(conn, audit_actor(request), body.sent())
            return customers.profile(conn, customer_id)

    @guard.route("GET", "/customers/{customer_id}", P.READ_CUSTOMERS)
    def get_customer(customer_id: PathId, request: Request) -> dict[str, Any]:
        """Return one customer: profile, current stage with its reason, scores, stage history."""
        with engine.connect() as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            return customers.profile(conn, customer_id)

    @guard.route("PATCH", "/customers/{customer_id}", P.EDIT_CUSTOMERS)
    def change_customer(
        customer_id: PathId, body: CustomerChange, request: Request
    ) -> dict[str, Any]:
        """Change the fields sent (null clears one); answers what changed, before and after."""
        with write_transaction(engine) as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            changed = changes.update_customer(conn, audit_actor(request), customer_id, body.sent())
            return {"changed": changed, "customer": customers.profile(conn, customer_id)}

    @guard.route("DELETE", "/customers/{customer_id}", P.PERSONAL_DATA)
    def erase_customer(customer_id: PathId, request: Request) -> dict[str, Any]:
        """Erase a person, keeping the business's figures; answers the rows removed and emptied.

        The row stays as an anonymous ``erased-<id>`` shell with its orders, scores and stages;
        profile fields, events, tasks, email, webhook deliveries, survey comments and the values
        of the audit entries about them go (docs/security.md).
        """
        with write_transaction(engine) as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            done = privacy.erase_customer(conn, audit_actor(request), customer_id)
            return {"removed": done.removed, "emptied": done.emptied}

    @guard.route("GET", "/customers/{customer_id}/export", P.PERSONAL_DATA)
    def export_person(customer_id: PathId, request: Request) -> Response:
        """Everything recorded about a person, as a zip of JSON and one CSV per section."""
        with engine.connect() as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            sections = privacy.export_person(conn, customer_id)
        return Response(
            person_zip(sections),
            media_type="application/zip",
            headers={"content-disposition": f'attachment; filename="customer-{customer_id}.zip"'},
        )

    @guard.route("GET", "/customers/{customer_id}/orders", P.READ_CUSTOMERS)
    def customer_orders(
        customer_id: PathId, request: Request, limit: int = Query(100, ge=1, le=1000)
    ) -> dict[str, Any]:
        """Return a customer's latest orders, newest first."""
        with engine.connect() as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            customers.profile(conn, customer_id)  # 404 for an unknown customer
            return {"items": timeline.orders(conn, customer_id, limit)}

    @guard.route("GET", "/customers/{customer_id}/timeline", P.READ_CUSTOMERS)
    def customer_timeline(
        customer_id: PathId,
        request: Request,
        limit: int = Query(60, ge=1, le=500),
        offset: int = Query(0, ge=0, le=1_000_000),
    ) -> dict[str, Any]:
        """Return orders, events, survey answers and tasks of a customer, newest first.

        ``offset`` skips that many of the newest entries: the next page starts at offset + limit.
        """
        with engine.connect() as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            customers.profile(conn, customer_id)
            return {"items": timeline.timeline(conn, customer_id, limit, offset)}

    @guard.route("GET", "/customers/{customer_id}/scores", P.READ_CUSTOMERS)
    def customer_scores(customer_id: PathId, request: Request) -> dict[str, Any]:
        """Return a customer's current scores (value, P(alive), segments, health, churn risk)."""
        with engine.connect() as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            found = customers.profile(conn, customer_id)
        return {"customer_id": customer_id, "scores": found["scores"]}

    @guard.route("GET", "/customers/{customer_id}/stages", P.READ_CUSTOMERS)
    def customer_stages(customer_id: PathId, request: Request) -> dict[str, Any]:
        """Return a customer's current stage (rule and numbers) and their stage in every run."""
        with engine.connect() as conn:
            access.check_customer(conn, caller(request), settings.access, customer_id)
            found = customers.profile(conn, customer_id)
        return {
            "customer_id": customer_id,
            "stage": found["stage"],
            "history": found["stage_history"],
        }
