"""Customers: the filtered list (with CSV export and "save as segment") and the customer 360."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import Connection, Engine

from tenure.domains.customers import listing
from tenure.domains.customers.reach import Owners
from tenure.domains.segments import service as segments
from tenure.domains.users import access
from tenure.domains.users import service as users
from tenure.domains.users.permissions import Permission
from tenure.kit import spreadsheet
from tenure.kit.errors import InvalidInput, TenureError
from tenure.kit.ids import parse_id
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.render import Renderer

FILTERS = (
    "q",
    "stage",
    "segment",
    "owner",
    "channel",
    "tag",
    "min_clv",
    "max_clv",
    "min_risk",
    "max_risk",
    "lead_band",
    "min_lead",
    "sort",
)
# the owner's name beside their id: a spreadsheet reader knows people, not ids
CSV_COLUMNS = (
    "id",
    *(c for c in listing.LISTED if c != "owner_id"),
    "owner_id",
    "owner",
    "stage",
    *listing.LISTED_SCORES,
)
# figures as people read them, not 0.30000000000000004: decimals kept per column
CSV_DECIMALS = {"clv": 2, "p_alive": 3, "churn_risk": 3, "health_score": 1, "lead_score": 1}


def csv_value(row: dict[str, Any], column: str, owners: dict[int, str]) -> Any:
    """Return one cell of the customer CSV: tags joined, the owner named, figures rounded."""
    value = row.get(column)
    if column == "tags":
        return ";".join(value) if value else value
    if column == "owner":
        owner = row.get("owner_id")
        return owners.get(int(owner), "") if owner is not None else ""
    if column in CSV_DECIMALS and value is not None:
        return round(float(value), CSV_DECIMALS[column])
    return value


_CHANNELS: dict[str, tuple[float, list[str]]] = {}


def _number(params: dict[str, str], name: str) -> float | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a number") from None


def user_id_of(text: str) -> int | None:
    """Read a user id from a form's select ("" for nobody)."""
    if not text.strip():
        return None
    user_id = parse_id(text.strip())
    if user_id is None:
        raise InvalidInput(f"{text!r} is not a user id")
    return user_id


def tree_of(params: dict[str, str]) -> dict[str, Any] | None:
    """Turn the list's form fields into a filter tree (the one "save as segment" keeps)."""
    leaves: list[dict[str, Any]] = []
    for name, field in (
        ("stage", "stage"),
        ("channel", "acquisition_channel"),
        ("lead_band", "lead_band"),
    ):
        if params.get(name):
            leaves.append({"field": field, "op": "=", "value": params[name]})
    owner = user_id_of(params.get("owner", ""))
    if owner is not None:
        leaves.append({"field": "owner_id", "op": "=", "value": owner})
    for name, field, op in (
        ("min_clv", "clv", ">="),
        ("max_clv", "clv", "<="),
        ("min_risk", "churn_risk", ">="),
        ("max_risk", "churn_risk", "<="),
        ("min_lead", "lead_score", ">="),
    ):
        value = _number(params, name)
        if value is not None:
            leaves.append({"field": field, "op": op, "value": value})
    if not leaves:
        return None
    return leaves[0] if len(leaves) == 1 else {"all": leaves}


def query_of(params: dict[str, str], limit: int = 50, owners: Owners = None) -> listing.ListQuery:
    """Build the list's query from the page's query string (``owners``: whose it reaches)."""
    return listing.ListQuery(
        tree=tree_of(params),
        q=params.get("q") or None,
        tag=params.get("tag") or None,
        segment=params.get("segment") or None,
        sort=params.get("sort") or "id",
        after=params.get("after") or None,
        limit=limit,
        owners=owners,
    )


def channels(conn: Connection) -> list[str]:
    """Return the acquisition channels in the store, for the filter (kept five minutes)."""
    cached = _CHANNELS.get("all")
    if cached and time.monotonic() - cached[0] < 300:
        return cached[1]
    found = listing.acquisition_channels(conn)
    _CHANNELS["all"] = (time.monotonic(), found)
    return found


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the customer pages to ``router``."""

    @router.get("/customers", include_in_schema=False)
    def customer_list(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        params = dict(request.query_params)
        error = None
        with engine.connect() as conn:
            owners = access.owners_of(conn, signed.principal, render.settings.access)
            try:
                rows, cursor = listing.listing(conn, query_of(params, owners=owners))
                total = listing.count(conn, query_of(params, owners=owners))
            except TenureError as exc:
                rows, cursor, error, total = [], None, exc.message, (0, False)
            people = users.list_users(conn)
            choices = {
                "segments": [s["name"] for s in segments.list_all(conn)],
                "owners": people,
                "channels": channels(conn),
            }
        kept = {k: v for k, v in params.items() if k in FILTERS and v}
        return render.page(
            request,
            "customers.html",
            signed,
            rows=rows,
            total=total,
            owners={u["id"]: u["name"] for u in people},
            params=kept,
            choices=choices,
            error=error,
            tree=tree_of(kept) if error is None else None,
            next_url=f"/customers?{urlencode({**kept, 'after': cursor})}" if cursor else None,
            csv_url=f"/customers.csv?{urlencode(kept)}",
            first_page=not params.get("after"),
        )

    @router.get("/customers.csv", include_in_schema=False)
    def customer_csv(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        params = {k: v for k, v in request.query_params.items() if k in FILTERS}

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            buffer.write(spreadsheet.BOM)  # Excel reads the UTF-8 (names in 中文) as such
            writer = csv.writer(buffer)
            writer.writerow(CSV_COLUMNS)
            cursor: str | None = None
            with engine.connect() as conn:
                owners = {int(u["id"]): str(u["name"]) for u in users.list_users(conn)}
                reach = access.owners_of(conn, signed.principal, render.settings.access)
            while True:  # a page at a time: a million rows never sit in memory at once
                query = query_of({**params, "after": cursor or ""}, limit=5000, owners=reach)
                with engine.connect() as conn:
                    page, cursor = listing.listing(conn, query)
                for row in page:
                    writer.writerow(
                        [spreadsheet.cell(csv_value(row, c, owners)) for c in CSV_COLUMNS]
                    )
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                if cursor is None:
                    return

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
        )

    @router.post("/customers/segment", include_in_schema=False)
    def save_segment(
        request: Request, name: str = Form(""), query: str = Form(""), csrf: str = Form("")
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_SEGMENTS)
        tree = tree_of(dict(parse_qsl(query)))
        if tree is None or not name.strip():
            raise InvalidInput("a segment needs a name and at least one filter")
        with write_transaction(engine) as conn:
            segments.create(conn, name.strip(), tree, actor=session.actor(signed))
        return RedirectResponse(f"/customers?{urlencode({'segment': name.strip()})}", 303)
