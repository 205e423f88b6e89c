"""Cross-sell: the strongest purchase sequences, who is due for B now, and how good offers are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import Engine

from tenure.api.params import PathId
from tenure.domains.crosssell import service as cross_sell
from tenure.domains.segments import service as segments
from tenure.domains.users import access
from tenure.domains.users.permissions import Permission
from tenure.kit import spreadsheet
from tenure.kit.errors import InvalidInput
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction
from tenure.web import charts, session
from tenure.web.render import Renderer

DUE_COLUMNS = ("customer_id", "level", "from_item", "from_on", "item", "due_on", "score", "reason")
METHODS = ("offer", "sequences", "most_popular", "sequence_only")  # sequences: when learned


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the cross-sell page, its CSV export and the dismissal of an offer to ``router``."""

    @router.get("/cross-sell", include_in_schema=False)
    def cross_sell_page(request: Request, category: str = Query("", max_length=100)) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_REPORTS)
        tools = render.page_tools(request, signed)
        _ = tools.gettext
        with engine.connect() as conn:
            data = cross_sell.page(conn, utcnow(), category or None)
        lag_charts = {}
        for level, figures in (data["levels"] if data else {}).items():
            if figures["strongest"]:
                lag_charts[level] = charts.sequence_lags(
                    figures["strongest"][:10],
                    (_("first to third quartile"), _("median"), _("days")),
                )
        return render.page(
            request,
            "cross_sell.html",
            signed,
            data=data,
            category=category,
            lag_charts=lag_charts,
            charts=lag_charts,  # the page loads ECharts only when it has charts to draw
            methods=METHODS,
        )

    @router.get("/cross-sell/due.csv", include_in_schema=False)
    def due_csv(
        request: Request,
        a: str | None = Query(None, max_length=128),
        b: str | None = Query(None, max_length=128),
        level: str | None = Query(None, max_length=16),
    ) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        lang = render.language(request, signed)

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            buffer.write(spreadsheet.BOM)
            writer = csv.writer(buffer)
            writer.writerow(DUE_COLUMNS)
            offset, now = 0, utcnow()
            while True:  # a page at a time
                with engine.connect() as conn:
                    page = cross_sell.due(
                        conn, now, a=a, b=b, level=level, lang=lang, limit=5000, offset=offset
                    )
                for row in page["items"]:
                    writer.writerow([spreadsheet.cell(row[c]) for c in DUE_COLUMNS])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                offset += 5000
                if offset >= page["total"]:
                    return

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cross-sell-due.csv"'},
        )

    @router.post("/cross-sell/segment", include_in_schema=False)
    def save_segment(
        request: Request,
        name: str = Form("", max_length=100),
        due: str = Form("", max_length=150),
        csrf: str = Form(""),
    ) -> Response:
        """Save the customers due now (for one B, or for anything) as a segment."""
        signed = session.posted(engine, request, csrf, Permission.MANAGE_SEGMENTS)
        if not name.strip():
            raise InvalidInput("name: give the segment a name")
        level, _, item = due.partition(":")
        tree = cross_sell.due_filter(level or None, item or None)
        with write_transaction(engine) as conn:
            segments.create(conn, name.strip(), tree, actor=session.actor(signed))
        return RedirectResponse(f"/customers?{urlencode({'segment': name.strip()})}", 303)

    @router.post("/customers/{customer_id}/offers/dismiss", include_in_schema=False)
    def dismiss_offer(
        request: Request, customer_id: PathId, item: str = Form(""), csrf: str = Form("")
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.EDIT_CUSTOMERS)
        with write_transaction(engine) as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            cross_sell.dismiss(conn, session.actor(signed), customer_id, item, utcnow())
        return RedirectResponse(f"/customers/{customer_id}#offers", 303)
