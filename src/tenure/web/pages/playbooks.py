"""Playbooks: what each did, a playbook's flow with each step's counts, its source and versions.

Managers and marketers edit a playbook's YAML here (a new version, or its mistakes with their
lines), and pause or resume it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from tenure.domains.automation import editor, measure, reports, service
from tenure.domains.automation.definition import Goal, Playbook, Step, Trigger
from tenure.domains.automation.loading import Mistake, PlaybookInvalid
from tenure.domains.automation.models import PlaybookStatus
from tenure.domains.automation.steps import words
from tenure.domains.messaging import service as messaging
from tenure.domains.users.permissions import Permission
from tenure.domains.users.sessions import SignedIn
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction
from tenure.web import session, uplift_charts
from tenure.web.pages import playbook_dry_run
from tenure.web.render import N_, Page, Renderer

ACTIONS = {
    "send_email": N_("Send email"),
    "send_survey": N_("Send survey"),
    "create_task": N_("Task"),
    "set_fields": N_("Set fields"),
    "add_tags": N_("Add tags"),
    "remove_tags": N_("Remove tags"),
    "webhook": N_("Webhook"),
    "wait": N_("Wait"),
    "wait_for": N_("Wait for an event"),
    "branch": N_("Branch"),
    "split": N_("Split"),
    "exit": N_("Exit"),
}
OUTCOMES = {
    "done": N_("done"),
    "waiting": N_("waited"),
    "arrived": N_("arrived"),
    "timed_out": N_("timed out"),
    "then": N_("condition held"),
    "else": N_("condition failed"),
    "split": N_("split"),
    "exit": N_("exit"),
}
# why an enrollment ended, as the engine records it; other reasons are shown as they are
REASONS = {
    "exit step": N_("an exit step"),
    "goal": N_("goal reached"),
    "done": N_("every step ran"),
    "holdout": N_("held out"),
    "conditions": N_("conditions no longer held"),
    "condition no longer holds": N_("conditions no longer held"),
}
PLAYBOOK_STATUS = {"active": N_("Running"), "paused": N_("Paused")}
ENROLLMENT_STATUS = {
    "active": N_("In progress"),
    "converted": N_("Converted"),
    "completed": N_("Completed"),
    "exited": N_("Exited"),
    "failed": N_("Failed"),
}
SCORES = {
    "churn_risk": N_("Churn risk"),
    "p_alive": N_("P(alive)"),
    "clv": N_("Predicted CLV"),
    "lead_score": N_("Lead score"),
    "health_score": N_("Health score"),
    "health_band": N_("Health"),
    "lead_band": N_("Lead score"),
}
BANDS = {
    "green": N_("green"),
    "yellow": N_("yellow"),
    "red": N_("red"),
    "hot": N_("hot"),
    "warm": N_("warm"),
    "cold": N_("cold"),
}
DATES = {
    "birthday": N_("birthday"),
    "first_order_anniversary": N_("first order's anniversary"),
    "renewal": N_("contract renewal"),
}
WEEKDAYS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
ROLES = {
    "admin": N_("an admin"),
    "manager": N_("a manager"),
    "marketing": N_("a marketer"),
    "sales": N_("a salesperson"),
    "csm": N_("a customer success manager"),
    "viewer": N_("a viewer"),
}
ROOT_CAUSES = {
    "product": N_("Product"),
    "service": N_("Service"),
    "price": N_("Price"),
    "other": N_("Other"),
}
LISTED = 20  # the latest enrollments shown on a playbook's page


def _list(items: list[str], page: Page) -> str:
    return ("、" if page.lang == "zh" else ", ").join(items)


def _quoted(text: object) -> str:
    return f"“{text}”"


def condition_words(tree: dict[str, Any], page: Page) -> str:
    """Write a filter tree as a line: ``stage = churned and clv > 500``."""
    _ = page.gettext
    if "all" in tree or "any" in tree:
        joiner = f" {_('and')} " if "all" in tree else f" {_('or')} "
        parts = [condition_words(t, page) for t in tree.get("all") or tree.get("any") or []]
        return joiner.join(f"({p})" if " " in p and len(parts) > 1 else p for p in parts)
    if "not" in tree:
        return f"{_('not')} ({condition_words(tree['not'], page)})"
    field, op, value = tree.get("field", "?"), tree.get("op", "?"), tree.get("value")
    if value is None:
        return f"{field} {op}"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return f"{field} {op} {value}"


def _days(n: int, page: Page) -> str:
    return page.gettext("1 day") if n == 1 else page.gettext("%(n)s days", n=n)


def _hours(n: int, page: Page) -> str:
    return page.gettext("1 hour") if n == 1 else page.gettext("%(n)s hours", n=n)


def trigger_words(trigger: Trigger, page: Page) -> str:
    """Write what enrolls a customer, e.g. "Enters Declining" or "Health becomes red"."""
    _ = page.gettext
    if (t := trigger.stage_entered) is not None:
        to = _list([page.stage_label(s) for s in t.to], page)
        if t.from_:
            return _(
                "Enters %(to)s from %(from)s",
                to=to,
                **{"from": _list([page.stage_label(s) for s in t.from_], page)},
            )
        return _("Enters %(to)s", to=to)
    if (s := trigger.score_crossed) is not None:
        score = _(SCORES[s.score])
        if s.becomes is not None:
            bands = _list([_(BANDS[b]) if b in BANDS else b for b in s.becomes], page)
            return _("%(score)s becomes %(bands)s", score=score, bands=bands)
        if s.above is not None:
            return _("%(score)s goes above %(value)s", score=score, value=s.above)
        return _("%(score)s goes below %(value)s", score=score, value=s.below)
    if (due := trigger.cross_sell_due) is not None:
        return _("Becomes due for %(item)s", item=_quoted(due.item))
    if (e := trigger.event) is not None:
        return _("An event %(type)s arrives", type=_quoted(e.type))
    if (i := trigger.inactive) is not None:
        if i.kinds:
            return _(
                "No %(kinds)s for %(days)s", kinds=_list(i.kinds, page), days=_days(i.days, page)
            )
        return _("No activity for %(days)s", days=_days(i.days, page))
    if (d := trigger.date) is not None:
        what = _(DATES[d.date])
        if d.days_before:
            return _("%(days)s before the %(date)s", days=_days(d.days_before, page), date=what)
        return _("On the %(date)s", date=what)
    if (g := trigger.segment) is not None:
        if g.entered is not None:
            return _("Enters the segment %(segment)s", segment=g.entered)
        return _("Leaves the segment %(segment)s", segment=g.left)
    if (a := trigger.survey_answered) is not None:
        if a.min is not None and a.max is not None:
            scores = f"{a.min:g}–{a.max:g}"
        elif a.max is not None:
            scores = f"≤ {a.max:g}"
        elif a.min is not None:
            scores = f"≥ {a.min:g}"
        else:
            scores = _("any score")
        return _("Answers the survey %(survey)s with %(scores)s", survey=a.survey, scores=scores)
    if (k := trigger.task_completed) is not None:
        text = (
            _("A task of %(playbook)s is completed", playbook=k.playbook)
            if k.playbook
            else _("A task is completed")
        )
        if k.root_cause:
            text += " · " + _("root cause: %(cause)s", cause=_(ROOT_CAUSES[k.root_cause]))
        return f"{text} ({k.outcome})" if k.outcome else text
    if (tc := trigger.tier_changed) is not None:
        if tc.to:
            return _("Enters the loyalty tier %(tiers)s", tiers=", ".join(tc.to))
        if tc.direction == "down":
            return _("Drops a loyalty tier")
        return _("Changes loyalty tier")
    return _("Enrolled by hand")


def step_words(step: Step, next_id: str | None, page: Page, kind: str = "marketing") -> str:
    """Write what a step does (in a playbook of ``kind``), in the page's language."""
    _ = page.gettext
    after = next_id or _("the end")
    if (m := step.send_email) is not None:
        text = _("Send the email %(template)s", template=_quoted(m.template))
        service = m.category_in(kind) == "service"
        return text + (f" ({_('service mail: not capped')})" if service else "")
    if (v := step.send_survey) is not None:
        text = _("Send the survey %(survey)s", survey=_quoted(v.survey))
        return text + " · " + _("email %(template)s", template=_quoted(v.template))
    if (t := step.create_task) is not None:
        who = {
            "owner": _("the owner"),
            "role": _(ROLES.get(t.assignee.role or "", "")) if t.assignee.role else _("a role"),
            "team": _("the team %(team)s", team=t.assignee.team or ""),
        }[t.assignee.to]
        due = (
            _("due today")
            if t.due_in_days == 0
            else _("due in %(days)s", days=_days(t.due_in_days, page))
        )
        title = words(t.title, page.lang)
        return _("Create a task for %(who)s: %(title)s (%(due)s)", who=who, title=title, due=due)
    if step.set_fields is not None:
        pairs = _list([f"{k} = {v}" for k, v in step.set_fields.items()], page)
        return _("Set %(fields)s", fields=pairs)
    if step.add_tags is not None:
        return _("Add the tags %(tags)s", tags=_list(step.add_tags, page))
    if step.remove_tags is not None:
        return _("Remove the tags %(tags)s", tags=_list(step.remove_tags, page))
    if (h := step.webhook) is not None:
        return _("Call the webhook %(url)s", url=h.url)
    if (w := step.wait) is not None:
        if w.weekday is not None or w.hour is not None:
            day = _(WEEKDAYS[w.weekday]) if w.weekday else _("day")
            text = _("Wait until the next %(day)s at %(hour)s:00", day=day, hour=w.hour or 9)
            if w.days or w.hours:
                text += " " + _("(after %(time)s)", time=_wait_time(w.days, w.hours, page))
            return text
        return _("Wait %(time)s", time=_wait_time(w.days, w.hours, page))
    if (f := step.wait_for) is not None:
        return _(
            "Wait up to %(days)s for %(types)s: arrived → %(arrived)s, else → %(timed_out)s",
            days=_days(f.days, page),
            types=_list(f.types, page),
            arrived=f.arrived or after,
            timed_out=f.timed_out or after,
        )
    if (b := step.branch) is not None:
        return _(
            "If %(condition)s → %(then)s, else → %(else)s",
            condition=condition_words(b.if_, page),
            then=b.then,
            **{"else": b.else_ or after},
        )
    if step.split is not None:
        ways = _list([f"{s.share:.0%} → {s.go}" for s in step.split], page)
        return _("Split at random: %(ways)s", ways=ways)
    return _("End the enrollment")


def goal_words(goal: Goal | None, page: Page) -> str:
    """Write what counts as success: "A purchase within 60 days"."""
    _ = page.gettext
    if goal is None:
        return _("No goal: an enrollment ends with its last step")
    days = _days(goal.within_days, page)
    if goal.purchase:
        return _("A purchase within %(days)s", days=days)
    if goal.event is not None:
        return _("An event %(type)s within %(days)s", type=_quoted(goal.event), days=days)
    return _(
        "%(condition)s within %(days)s",
        condition=condition_words(goal.condition or {}, page),
        days=days,
    )


def _wait_time(days: int, hours: int, page: Page) -> str:
    parts = ([_days(days, page)] if days else []) + ([_hours(hours, page)] if hours else [])
    return " ".join(parts)


def falls_through(step: Step) -> bool:
    """Tell whether a step may go on to the next one (else only a jump leaves it)."""
    if step.exit is not None or step.split is not None:
        return False
    if step.branch is not None:
        return step.branch.else_ is None
    return True


@dataclass(frozen=True)
class Box:
    """One step of the flow as the page draws it."""

    step_id: str
    named: bool  # the file gave the step its id (else it is ``step-N``)
    number: int
    action: str
    text: str
    ran: int
    waiting: int
    outcomes: list[tuple[str, int]]
    jumps: list[str]
    next_arrow: bool
    template: str | None = None  # a send_email step's template, to preview


def flow(playbook: Playbook, counts: list[reports.StepCount], page: Page) -> list[Box]:
    """Return the playbook's steps as boxes, each with its words and counts."""
    ids = playbook.step_ids()
    _ = page.gettext
    boxes = []
    for n, (step, count) in enumerate(zip(playbook.steps, counts, strict=True)):
        next_id = ids[n + 1] if n + 1 < len(ids) else None
        boxes.append(
            Box(
                step_id=ids[n],
                named=step.id is not None,
                number=n + 1,
                action=_(ACTIONS[step.action]),
                text=step_words(step, next_id, page, playbook.kind),
                ran=count.ran,
                waiting=count.waiting,
                outcomes=[(_(OUTCOMES.get(o, o)), k) for o, k in sorted(count.outcomes.items())]
                if step.action in ("branch", "wait_for", "split")
                else [],
                jumps=[t for t in dict.fromkeys(step.targets()) if t != next_id],
                next_arrow=next_id is not None
                and (falls_through(step) or next_id in step.targets()),
                template=step.send_email.template if step.send_email is not None else None,
            )
        )
    return boxes


def title_of(title: dict[str, str], lang: str) -> str:
    """Return a playbook's title in ``lang`` (the other language's when it has only that)."""
    return title.get(lang) or title.get("en") or title.get("zh") or ""


def effect_rows(effect: measure.Measured, page: Page) -> list[tuple[str, str, Any]]:
    """Return the money rows of the effect table measured so far: (key, label, figures)."""
    figures = (
        ("revenue", N_("Revenue per customer"), effect.revenue),
        (
            "revenue_adjusted",
            N_("Revenue per customer, adjusted"),
            effect.revenue_adjusted.difference if effect.revenue_adjusted else None,
        ),
        (
            "margin",
            N_("Gross margin per customer"),
            measure.scaled(effect.revenue, effect.margin_share),
        ),
    )
    return [(key, page.gettext(label), d) for key, label, d in figures if d is not None]


METRIC_LABELS = {
    "goal_rate": N_("Goal reached"),
    "revenue_per_customer": N_("Revenue per customer"),
    "margin_per_customer": N_("Gross margin per customer"),
    "still_active_30d": N_("Still active after 30 days"),
    "still_active_90d": N_("Still active after 90 days"),
}


@dataclass(frozen=True)
class FigureRow:
    """One row of the effect table: a metric, how to show it, whether it is the primary one."""

    key: str
    label: str
    kind: str  # "rate" (shares, differences in points) or "money"
    figures: Any  # an uplift.Difference
    primary: bool
    measured: tuple[int, int] | None = None  # (treated, holdout) when they differ per row


def figure_rows(effect: measure.Measured, page: Page) -> list[FigureRow]:
    """Return the effect table's rows: the primary metric first, then the exploratory ones.

    The revenue adjusted with CUPED sits right after the revenue: it is the same metric,
    estimated more precisely, and counts as primary when the revenue is.
    """
    _ = page.gettext
    rows: list[FigureRow] = []
    if effect.goal_rate is not None:
        label = METRIC_LABELS["goal_rate"]  # not inside _(…): the extractor would take the key
        rows.append(FigureRow("goal_rate", _(label), "rate", effect.goal_rate, False))
    rows += [FigureRow(k, label, "money", d, False) for k, label, d in effect_rows(effect, page)]
    for kept in effect.still_active:
        if kept.difference is not None:
            key = f"still_active_{kept.days}d"
            rows.append(
                FigureRow(
                    key,
                    _(METRIC_LABELS[key]),
                    "rate",
                    kept.difference,
                    False,
                    (kept.treated, kept.holdout),
                )
            )
    primary_keys = {
        "goal_rate": {"goal_rate"},
        "revenue_per_customer": {"revenue", "revenue_adjusted"},
        "margin_per_customer": {"margin"},
        "still_active_30d": {"still_active_30d"},
        "still_active_90d": {"still_active_90d"},
    }[effect.primary]
    marked = [
        FigureRow(r.key, r.label, r.kind, r.figures, r.key in primary_keys, r.measured)
        for r in rows
    ]
    return [r for r in marked if r.primary] + [r for r in marked if not r.primary]


def effect_charts(effect: measure.Measured, page: Page) -> dict[str, Any]:
    """Return the effect section's charts: the goal rate over time, when there is one."""
    points = [p.as_dict() for p in effect.by_week]
    if not any(p["goal_rate"] for p in points):
        return {}
    _ = page.gettext
    names = {
        "treated": _("Treated"),
        "holdout": _("Holdout"),
        "difference": _("Difference"),
        "band_low": _("95% interval, low"),
        "band_high": _("95% interval, high"),
        "rate_axis": _("Goal reached (%)"),
        "difference_axis": _("Difference (points)"),
    }
    return {"goal_rate": uplift_charts.goal_rate_over_time(points, names, page.fmt.day)}


def routes(engine: Engine, render: Renderer, router: APIRouter) -> None:
    """Add the playbook pages to ``router``."""
    templates = service.Templates(render.settings.messaging.templates_dir)

    @router.get("/playbooks", include_in_schema=False)
    def playbooks_page(request: Request) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        page = render.page_tools(request, signed)
        with engine.connect() as conn:
            summaries = reports.summary(conn)
            definitions = {p.name: p.definition for p in service.listing(conn)}
        rows = [
            {
                "s": s,
                "title": title_of(s.title, page.lang),
                "triggers": [
                    trigger_words(t, page)
                    for t in Playbook.model_validate(definitions[s.name]).trigger
                ],
            }
            for s in summaries
        ]
        return render.page(request, "playbooks.html", signed, rows=rows, status=PLAYBOOK_STATUS)

    def show(
        request: Request,
        signed: SignedIn,
        name: str,
        *,
        draft: str | None = None,
        mistakes: list[Mistake] | None = None,
        status_code: int = 200,
    ) -> Response:
        page = render.page_tools(request, signed)
        with engine.connect() as conn:
            found = service.get(conn, name)
            counts = reports.step_counts(conn, name)
            versions = service.versions(conn, name)
            [summary] = [s for s in reports.summary(conn) if s.name == name]
            latest, more = reports.enrollments(conn, name, limit=LISTED)
            effect = measure.measure(conn, name, margin_share=render.settings.value.margin)
            today = business_today(render.settings.business.timezone)
            dry = playbook_dry_run.view(conn, name, page, today)
        playbook = Playbook.model_validate(found.definition)
        return render.page(
            request,
            "playbook.html",
            signed,
            status_code=status_code,
            p=found,
            s=summary,
            title=title_of(summary.title, page.lang),
            description=words(playbook.description, page.lang),
            triggers=[trigger_words(t, page) for t in playbook.trigger],
            goal=goal_words(playbook.goal, page),
            has_goal=playbook.goal is not None,
            holdout=playbook.enrollment.holdout,
            boxes=flow(playbook, counts, page),
            versions=versions,
            enrollments=latest,
            more=more is not None,
            draft=found.source if draft is None else draft,
            mistakes=mistakes or [],
            status=PLAYBOOK_STATUS,
            enrollment_status=ENROLLMENT_STATUS,
            reasons=REASONS,
            published=request.query_params.get("published"),
            effect=effect,
            effect_rows=effect_rows(effect, page),
            figure_rows=figure_rows(effect, page),
            # base.html loads the chart scripts when ``charts`` holds any (the dry run's too)
            charts={**effect_charts(effect, page), **{k: v for k, v in dry["charts"].items() if v}},
            dry=dry,
            primary_label=page.gettext(METRIC_LABELS[effect.primary]),
        )

    @router.get("/playbooks/{name}", include_in_schema=False)
    def playbook_page(request: Request, name: str) -> Response:
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        return show(request, signed, name)

    @router.get("/playbooks/{name}/versions/{number}", include_in_schema=False)
    def version_page(request: Request, name: str, number: str) -> Response:
        """Show one published version's YAML, as it was published."""
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        if not number.isdigit() or not 1 <= int(number) < 2**31:
            raise InvalidInput(f"version: a version number (1, 2, …), not {number!r}")
        page = render.page_tools(request, signed)
        with engine.connect() as conn:
            found = service.get(conn, name)
            record = service.version(conn, name, int(number))
        return render.page(
            request,
            "playbook_version.html",
            signed,
            p=found,
            v=record,
            title=title_of(record.definition.get("title") or {}, page.lang),
        )

    @router.get("/playbooks/{name}/preview", include_in_schema=False)
    def preview_page(
        request: Request, name: str, template: str = "", customer: str = "", language: str = ""
    ) -> Response:
        """Show a send_email step's template rendered for a chosen customer; queue nothing."""
        signed = session.current(engine, request)
        session.require(signed, Permission.READ_PLAYBOOKS)
        # not ``lang``: that one is the page's own language, here the email's
        if language not in ("", "en", "zh"):
            raise InvalidInput(f"language: en or zh, not {language!r}")
        page = render.page_tools(request, signed)
        with engine.connect() as conn:
            found = service.get(conn, name)
            playbook = Playbook.model_validate(found.definition)
            sent = [s.send_email.template for s in playbook.steps if s.send_email is not None]
            if not sent:
                raise NotFound(f"playbook {name!r} sends no email")
            template = template or sent[0]
            if template not in sent:
                raise InvalidInput(f"template: {name!r} sends {', '.join(sent)}, not {template!r}")
            chosen = customer.strip() or reports.sample_customer(conn, name)
            rendered = None
            if chosen:
                customer_id = messaging.customer_by_external_id(conn, chosen)
                rendered = messaging.preview(
                    conn, template, customer_id, lang=language or None, settings=render.settings
                )
        return render.page(
            request,
            "playbook_preview.html",
            signed,
            p=found,
            title=title_of(playbook.title.model_dump(exclude_none=True), page.lang),
            templates=sent,
            chosen_template=template,
            customer=chosen,
            chosen_lang=language,
            rendered=rendered,
        )

    @router.post("/playbooks/{name}/source", include_in_schema=False)
    def publish(
        request: Request, name: str, source: str = Form(""), csrf: str = Form("")
    ) -> Response:
        signed = session.posted(engine, request, csrf, Permission.MANAGE_PLAYBOOKS)
        text = source.replace("\r\n", "\n")
        try:
            with write_transaction(engine) as conn:
                service.get(conn, name)  # the page edits a playbook that exists
                applied = editor.publish(conn, session.actor(signed), name, text, templates)
        except PlaybookInvalid as exc:
            return show(request, signed, name, draft=text, mistakes=exc.mistakes, status_code=422)
        return RedirectResponse(
            f"/playbooks/{name}?published={applied.version}&outcome={applied.outcome}#source", 303
        )

    def status_route(status: PlaybookStatus) -> Callable[..., Response]:
        def change(request: Request, name: str, csrf: str = Form("")) -> Response:
            signed = session.posted(engine, request, csrf, Permission.MANAGE_PLAYBOOKS)
            with write_transaction(engine) as conn:
                service.set_status(conn, session.actor(signed), name, status)
            return RedirectResponse(f"/playbooks/{name}", 303)

        return change

    router.post("/playbooks/{name}/pause", include_in_schema=False)(
        status_route(PlaybookStatus.PAUSED)
    )
    router.post("/playbooks/{name}/resume", include_in_schema=False)(
        status_route(PlaybookStatus.ACTIVE)
    )
