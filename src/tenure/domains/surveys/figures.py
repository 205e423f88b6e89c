"""The figures of surveys and feedback: response rate, score over time, SLA, recovery, causes.

Every figure is read from rows and counted in Python (a few thousand answers a month), so
SQLite and PostgreSQL give the same numbers:

* response rate — answered invitations / invitations made (``invited``, not held back);
* NPS by month — % promoters − % detractors; CSAT / CES by month — % satisfied;
* % detractors contacted within the SLA — poor answers (detractor, unsatisfied) whose
  follow-up was first closed as contacted or resolved by its due moment, over all poor
  answers (one never followed up counts as not contacted);
* median time to first contact — hours from the follow-up's making to its first contact;
* recovery rate — of the poor answers followed up and closed, the share whose customer
  later answered the same survey without a poor band, or bought again (a paid order after
  the answer);
* a team's board — its open follow-ups, due (not yet overdue) and overdue; root causes by
  month, most frequent first, with their running share (a Pareto).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import Connection, func, select

from tenure.domains.customers.models import Customer
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.surveys import service
from tenure.domains.surveys.followups import POOR, REACHED
from tenure.domains.surveys.models import (
    InvitationStatus,
    SurveyAnswer,
    SurveyFollowup,
    SurveyInvitation,
    Team,
)
from tenure.domains.tasks.models import Task, TaskStatus
from tenure.kit.timeutil import as_utc


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def survey_figures(conn: Connection, key: str) -> dict[str, Any]:
    """Return a survey's KPIs and its score by month (see the module's words)."""
    survey = service.get(conn, key)
    invited, answered = conn.execute(
        select(func.count(), func.count(SurveyInvitation.answered_at)).where(
            SurveyInvitation.survey_id == survey.id,
            SurveyInvitation.status == InvitationStatus.INVITED.value,
        )
    ).one()
    answers: list[Any] = conn.execute(
        select(
            SurveyAnswer.id,
            SurveyAnswer.customer_id,
            SurveyAnswer.band,
            SurveyAnswer.answered_at,
            SurveyFollowup.due_at,
            SurveyFollowup.created_at.label("routed_at"),
            SurveyFollowup.contacted_at,
            SurveyFollowup.closed_at,
        )
        .outerjoin(SurveyFollowup, SurveyFollowup.answer_id == SurveyAnswer.id)
        .where(SurveyAnswer.survey_id == survey.id)
        .order_by(SurveyAnswer.answered_at, SurveyAnswer.id)
    ).all()  # type: ignore[assignment]
    months: dict[str, Counter[str]] = defaultdict(Counter)
    for a in answers:
        month = as_utc(a.answered_at).strftime("%Y-%m")
        months[month]["all"] += 1
        months[month][str(a.band)] += 1
    trend = []
    for month in sorted(months):
        seen = months[month]
        good = seen["promoter"] + seen["satisfied"]
        bad = seen["detractor"] if survey.spec.kind == "nps" else 0
        score = 100 * (good - bad) / seen["all"]
        trend.append({"month": month, "answers": seen["all"], "score": round(score, 1)})
    poor = [a for a in answers if a.band in POOR]
    in_sla = [
        a for a in poor if a.contacted_at is not None and as_utc(a.contacted_at) <= as_utc(a.due_at)
    ]
    waits = [
        (as_utc(a.contacted_at) - as_utc(a.routed_at)).total_seconds() / 3600
        for a in poor
        if a.contacted_at is not None
    ]
    closed = [a for a in poor if a.closed_at is not None]
    recovered = sum(1 for a in closed if _recovered(conn, a, answers))
    return {
        "survey": key,
        "kind": survey.spec.kind,
        "invited": int(invited),
        "answered": int(answered),
        "response_rate": _share(int(answered), int(invited)),
        "answers": len(answers),
        "poor": len(poor),
        "contacted_within_sla": _share(len(in_sla), len(poor)),
        "median_hours_to_contact": median(waits) if waits else None,
        "followed_up_closed": len(closed),
        "recovered": recovered,
        "recovery_rate": _share(recovered, len(closed)),
        "by_month": trend,
    }


def _recovered(conn: Connection, poor: Any, answers: list[Any]) -> bool:
    at = as_utc(poor.answered_at)
    later = [
        a
        for a in answers
        if a.customer_id == poor.customer_id and as_utc(a.answered_at) > at and a.id != poor.id
    ]
    if later and later[0].band not in POOR:
        return True
    bought = conn.execute(
        select(func.count()).where(
            Order.customer_id == poor.customer_id,
            Order.status == OrderStatus.PAID.value,
            Order.ordered_at > at,
        )
    ).scalar_one()
    return bool(bought)


def team_board(conn: Connection, team: str, now: datetime) -> dict[str, Any]:
    """Return a team's follow-ups: open, due, overdue, and root causes by month (a Pareto)."""
    now = as_utc(now)
    rows = conn.execute(
        select(
            SurveyFollowup.due_at,
            SurveyFollowup.closed_at,
            SurveyFollowup.root_cause,
            Task.status,
        )
        .join(Task, Task.id == SurveyFollowup.task_id)
        .where(SurveyFollowup.team == team)
    ).all()
    open_ = [r for r in rows if r.status == TaskStatus.OPEN.value]
    overdue = sum(1 for r in open_ if as_utc(r.due_at) < now)
    causes: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r.closed_at is not None and r.root_cause is not None:
            causes[as_utc(r.closed_at).strftime("%Y-%m")][r.root_cause] += 1
    pareto = []
    for month in sorted(causes):
        total, running = sum(causes[month].values()), 0
        ranked = sorted(causes[month].items(), key=lambda kv: (-kv[1], kv[0]))
        for cause, n in ranked:
            running += n
            pareto.append(
                {"month": month, "cause": cause, "count": n, "cumulative": running / total}
            )
    return {
        "team": team,
        "open": len(open_),
        "due": len(open_) - overdue,
        "overdue": overdue,
        "closed": sum(1 for r in rows if r.closed_at is not None),
        "pareto": pareto,
    }


def poor_answers(conn: Connection, key: str, limit: int = 200) -> list[dict[str, Any]]:
    """Return a survey's poor answers, newest first, each with its customer and follow-up."""
    survey = service.get(conn, key)
    rows = conn.execute(
        select(
            SurveyAnswer.id,
            SurveyAnswer.customer_id,
            Customer.name.label("customer_name"),
            SurveyAnswer.score,
            SurveyAnswer.band,
            SurveyAnswer.comment,
            SurveyAnswer.answered_at,
            SurveyFollowup.team,
            Team.name_en.label("team_en"),
            Team.name_zh.label("team_zh"),
            SurveyFollowup.task_id,
            SurveyFollowup.due_at,
            SurveyFollowup.contacted_at,
            SurveyFollowup.outcome,
            SurveyFollowup.root_cause,
            SurveyFollowup.escalated_at,
            Task.status.label("task_status"),
        )
        .join(Customer, Customer.id == SurveyAnswer.customer_id)
        .outerjoin(SurveyFollowup, SurveyFollowup.answer_id == SurveyAnswer.id)
        .outerjoin(Team, Team.key == SurveyFollowup.team)
        .outerjoin(Task, Task.id == SurveyFollowup.task_id)
        .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.band.in_(POOR))
        .order_by(SurveyAnswer.answered_at.desc(), SurveyAnswer.id.desc())
        .limit(limit)
    ).mappings()
    out = []
    for r in rows:
        row = dict(r)
        row["within_sla"] = r["contacted_at"] is not None and as_utc(r["contacted_at"]) <= as_utc(
            r["due_at"]
        )
        row["reached"] = r["outcome"] in REACHED
        out.append(row)
    return out


def team_items(
    conn: Connection, team: str, now: datetime, limit: int = 200
) -> list[dict[str, Any]]:
    """Return a team's open follow-ups, the most overdue first, each with customer and assignee."""
    from tenure.domains.users.models import User

    now = as_utc(now)
    rows = conn.execute(
        select(
            SurveyFollowup.task_id,
            SurveyFollowup.customer_id,
            Customer.name.label("customer_name"),
            SurveyFollowup.due_at,
            SurveyFollowup.escalated_at,
            SurveyFollowup.reopened,
            SurveyAnswer.score,
            SurveyAnswer.band,
            SurveyAnswer.comment,
            User.name.label("assignee_name"),
        )
        .join(Task, Task.id == SurveyFollowup.task_id)
        .join(SurveyAnswer, SurveyAnswer.id == SurveyFollowup.answer_id)
        .join(Customer, Customer.id == SurveyFollowup.customer_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(SurveyFollowup.team == team, Task.status == TaskStatus.OPEN.value)
        .order_by(SurveyFollowup.due_at, SurveyFollowup.id)
        .limit(limit)
    ).mappings()
    return [dict(r) | {"overdue": as_utc(r["due_at"]) < now} for r in rows]
