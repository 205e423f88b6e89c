"""The customer 360: scores and why at risk, stage history, timeline, tasks; owner and tags."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.api.params import PathId
from tenure.domains.automation import programme
from tenure.domains.automation import reports as playbook_reports
from tenure.domains.automation import service as playbook_service
from tenure.domains.crosssell import service as cross_sell
from tenure.domains.customers import changes, privacy, timeline
from tenure.domains.customers import service as customers
from tenure.domains.loyalty import reports as loyalty_reports
from tenure.domains.preferences import service as preferences
from tenure.domains.sales import service as sales
from tenure.domains.tasks import service as tasks
from tenure.domains.users import access
from tenure.domains.users import service as users
from tenure.domains.users.permissions import Permission
from tenure.kit.errors import InvalidInput
from tenure.kit.i18n import reason_text
from tenure.kit.timeutil import utcnow
from tenure.kit.zones import known_zones
from tenure.storage.engine import write_transaction
from tenure.web import session
from tenure.web.pages.customers import user_id_of
from tenure.web.pages.playbooks import ACTIONS, ENROLLMENT_STATUS, OUTCOMES, REASONS, title_of
from tenure.web.render import Renderer

# From this churn risk the reasons are "why at risk"; below it the risk is low and the reasons
# are only what weighs on it most (a 2% risk headed "why at risk" misleads).
AT_RISK_FROM = 0.2
# the timeline shows this many entries, then "Older" brings the next as many (htmx)
TIMELINE_PAGE = 50
MOST_SHOWN = 5000  # ?shown= (the link without JavaScript) shows at most this many at once


def timeline_page(conn: Any, customer_id: int, offset: int, size: int) -> dict[str, Any]:
    """Return ``size`` timeline entries from ``offset`` and where the next page starts."""
    entries = timeline.timeline(conn, customer_id, size + 1, offset)
    more = len(entries) > size
    return {
        "timeline": entries[:size],
        "older": offset + size if more else None,
        "offset": offset,
        "timeline_page": TIMELINE_PAGE,
        "customer_id": customer_id,
    }


def rule_words(tree: dict[str, Any]) -> str:
    """Write an ideal-customer rule without words of its own as its filter, e.g. ``a in [x]``."""
    if "field" in tree:
        value = tree.get("value")
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        return f"{tree['field']} {tree.get('op', '')} {shown}".strip()
    return json.dumps(tree, ensure_ascii=False)


# the steps of a playbook that do something to or for the customer: on the timeline
EFFECTS = frozenset(
    {"send_email", "send_survey", "create_task", "set_fields", "add_tags", "remove_tags", "webhook"}
)


def with_journeys(
    entries: list[dict[str, Any]],
    journeys: list[playbook_reports.Journey],
    lang: str,
    since: datetime | None = None,
    before: datetime | None = None,
) -> list[dict[str, Any]]:
    """Add each playbook's enrollment, effect steps and end to the timeline, newest first.

    A page of the timeline takes those at or after ``since`` (its oldest entry, when older
    pages follow) and before ``before`` (the previous page's oldest entry).
    """
    added: list[dict[str, Any]] = []
    for j in journeys:
        base = {"kind": "playbook", "playbook": j.playbook, "title": title_of(j.title, lang)}
        added.append(base | {"at": j.enrolled_at, "what": "enrolled", "holdout": j.holdout})
        added += [
            base | {"at": r["at"], "what": "step", "action": r["action"], "step_id": r["step_id"]}
            for r in j.steps
            if r["action"] in EFFECTS and r["outcome"] == "done"
        ]
        if j.finished_at is not None:
            added.append(
                base
                | {"at": j.finished_at, "what": "finished", "status": j.status, "reason": j.reason}
            )
    added = [
        e
        for e in added
        if (since is None or e["at"] >= since) and (before is None or e["at"] < before)
    ]
    merged = entries + added
    # at one moment, an enrollment comes before its steps, and they before its end
    rank = {"enrolled": 0, "step": 1, "finished": 2}
    merged.sort(key=lambda e: (e["at"].timestamp(), rank.get(str(e.get("what")), 1)), reverse=True)
    return merged


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the customer 360 and its forms to ``router``."""

    @router.get("/customers/{customer_id}/timeline", include_in_schema=False)
    def customer_timeline(
        request: Request, customer_id: PathId, offset: int = Query(0, ge=0, le=1_000_000)
    ) -> Response:
        """Return the next page of the timeline, for the "Older" link."""
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        lang = render.language(request, signed)
        with engine.connect() as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            customers.profile(conn, customer_id)  # 404 for an unknown customer
            page = timeline_page(conn, customer_id, offset, TIMELINE_PAGE)
            newer = timeline.timeline(conn, customer_id, 1, offset - 1) if offset else []
            journeys = playbook_reports.of_customer(conn, customer_id)
        if page["timeline"]:
            page["timeline"] = with_journeys(
                page["timeline"],
                journeys,
                lang,
                page["timeline"][-1]["at"] if page["older"] is not None else None,
                newer[0]["at"] if newer else None,
            )
        return render.page(
            request,
            "_timeline.html",
            signed,
            **page,
            actions=ACTIONS,
            enrollment_status=ENROLLMENT_STATUS,
            enrollment_reasons=REASONS,
        )

    @router.get("/customers/{customer_id}", include_in_schema=False)
    def customer_360(
        request: Request,
        customer_id: PathId,
        shown: int = Query(TIMELINE_PAGE, ge=1, le=MOST_SHOWN),
    ) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_CUSTOMERS)
        lang = render.language(request, signed)
        with engine.connect() as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            found = customers.profile(conn, customer_id)
            entries = timeline_page(conn, customer_id, 0, shown)
            open_tasks, _ = tasks.list_tasks(conn, customer_id=customer_id, limit=100)
            people = users.list_users(conn)
            journeys = playbook_reports.of_customer(conn, customer_id)
            playbooks = [p for p in playbook_service.listing(conn) if p.status == "active"]
            settings = preferences.effective(conn, render.settings)
            lead = sales.lead_profile(conn, customer_id, settings, utcnow())
            loyalty_cards = loyalty_reports.cards(conn, customer_id, utcnow())
            offers = cross_sell.customer_offers(conn, customer_id, utcnow(), lang)["offers"]
        # the playbook steps of the entries shown: as old as the oldest, unless that is all
        shown_since = entries["timeline"][-1]["at"] if entries["older"] is not None else None
        entries["timeline"] = with_journeys(entries["timeline"], journeys, lang, shown_since)
        # a customer no run has scored yet (just created) shows a dash in every score
        scores: dict[str, Any] = defaultdict(lambda: None, found["scores"] or {})
        risk = scores.get("churn_risk")
        reasons = [
            reason_text(r["feature"], r["value"], lang) for r in scores.get("churn_reasons") or []
        ]
        return render.page(
            request,
            "customer.html",
            signed,
            c=found,
            scores=scores,
            reasons=reasons,
            at_risk=risk is not None and risk >= AT_RISK_FROM,
            churned=(found.get("stage") or {}).get("stage") == "churned",
            **entries,
            tasks=open_tasks,
            people=people,
            owners={u["id"]: u["name"] for u in people},
            journeys=journeys,
            # a person may enroll the customer in an active playbook they are not running in
            enrollable=[
                {"name": p.name, "title": title_of(p.definition["title"], lang)}
                for p in playbooks
                if not any(j.playbook == p.name and j.status == "active" for j in journeys)
            ],
            actions=ACTIONS,
            outcomes=OUTCOMES,
            enrollment_status=ENROLLMENT_STATUS,
            enrollment_reasons=REASONS,
            zones=known_zones(),
            lead=lead,
            lead_rules=[
                (r.rule.label_in(lang) or rule_words(r.rule.when), r.rule.points, r.met)
                for r in (lead.rules if lead else [])
            ],
            activity_days=sales.ACTIVITY_DAYS,
            loyalty=loyalty_cards,
            offers=offers,
        )

    @router.post("/customers/{customer_id}/edit", include_in_schema=False)
    def edit_customer(
        request: Request,
        customer_id: PathId,
        owner: str = Form(""),
        tags: str = Form(""),
        timezone: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.EDIT_CUSTOMERS)
        fields = {
            "owner_id": user_id_of(owner),
            "tags": [t for t in tags.replace("，", ",").split(",") if t.strip()],
            "timezone": timezone.strip() or None,  # empty: the business's zone
        }
        with write_transaction(engine) as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            changes.update_customer(conn, session.actor(signed), customer_id, fields)
        return RedirectResponse(f"/customers/{customer_id}", 303)

    @router.post("/customers/{customer_id}/tasks", include_in_schema=False)
    def add_task(
        request: Request,
        customer_id: PathId,
        title: str = Form(""),
        due_on: str = Form(""),
        assignee: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_TASKS)
        try:
            due = date.fromisoformat(due_on) if due_on else None
        except ValueError:
            raise InvalidInput(f"due: {due_on!r} is not a date") from None
        with write_transaction(engine) as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            tasks.create_task(
                conn,
                session.actor(signed),
                customer_id=customer_id,
                title=title,
                due_on=due,
                assignee_id=user_id_of(assignee),
            )
        return RedirectResponse(f"/customers/{customer_id}#tasks", 303)

    @router.get("/customers/{customer_id}/export", include_in_schema=False)
    def export_person(request: Request, customer_id: PathId) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.PERSONAL_DATA)
        with engine.connect() as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            sections = privacy.export_person(conn, customer_id)
        return Response(
            privacy.person_zip(sections),
            media_type="application/zip",
            headers={"content-disposition": f'attachment; filename="customer-{customer_id}.zip"'},
        )

    @router.post("/customers/{customer_id}/erase", include_in_schema=False)
    def erase(
        request: Request, customer_id: PathId, confirm: str = Form(""), csrf: str = Form("")
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.PERSONAL_DATA)
        with write_transaction(engine) as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            found = customers.profile(conn, customer_id)
            if confirm.strip() != found["external_id"]:
                raise InvalidInput(
                    f"confirm: type the customer's id {found['external_id']} to erase them"
                )
            privacy.erase_customer(conn, session.actor(signed), customer_id)
        return RedirectResponse(f"/customers/{customer_id}", 303)

    @router.post("/customers/{customer_id}/playbooks", include_in_schema=False)
    def enroll(
        request: Request,
        customer_id: PathId,
        playbook: str = Form(""),
        offer: str = Form("", max_length=128),
        csrf: str = Form(""),
    ) -> Response:
        """Enroll the customer by hand: from the playbooks section or an offer of the card."""
        signed = session.posted(engine, request, csrf, Permission.MANAGE_PLAYBOOKS)
        if not playbook.strip():
            raise InvalidInput("playbook: choose the playbook to enroll the customer in")
        with write_transaction(engine) as conn:
            access.check_customer(conn, signed.principal, render.settings.access, customer_id)
            found = customers.profile(conn, customer_id)
            playbook_service.enroll(
                conn,
                session.actor(signed),
                playbook,
                found["external_id"],
                utcnow(),
                global_control=programme.global_control_share(conn, render.settings),
                offer=offer.strip() or None,
            )
        back = "offers" if offer.strip() else "playbooks"
        return RedirectResponse(f"/customers/{customer_id}#{back}", 303)
