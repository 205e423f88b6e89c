"""Follow-ups: an answer a routing rule matched becomes a task for a team, due by its SLA.

* ``route`` — on a new answer: the first matching rule (``routing``) makes a task for the
  team, assigned round-robin among its members (fewest open tasks) or to the customer's
  owner (else round-robin), due ``sla_hours`` later. One follow-up per answer.
* ``escalate`` — the worker's periodic job, with its clock: an open follow-up past its due
  moment is handed to the team lead (once).
* ``close`` — completing a follow-up's task asks for an outcome (contacted, resolved,
  not_reachable) and a root cause (product, service, price, other); it may send the rule's
  "did we resolve it?" survey.
* ``on_check_answer`` — a poor answer (unsatisfied, or an NPS detractor) to that survey
  reopens the task.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tenure.domains.audit import service as audit
from tenure.domains.customers.models import Customer
from tenure.domains.messaging import service as messaging
from tenure.domains.surveys import repository, routing, service, teams
from tenure.domains.surveys.models import SurveyFollowup
from tenure.domains.tasks import service as tasks
from tenure.domains.tasks.models import Task, TaskStatus
from tenure.domains.users.models import User
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.settings import Settings
from tenure.kit.timeutil import as_utc
from tenure.storage.rows import plain_row

OUTCOMES = ("contacted", "resolved", "not_reachable")
REACHED = ("contacted", "resolved")  # a first contact
POOR = ("unsatisfied", "detractor")  # a check answer that reopens the task
ROUTER = audit.Actor(None, "system")


def _assignee(conn: Connection, team: dict[str, Any], assign: str, customer_id: int) -> int | None:
    if assign == "owner":
        owner = conn.execute(
            select(User.id)
            .join(Customer, Customer.owner_id == User.id)
            .where(Customer.id == customer_id, User.active.is_(True))
        ).scalar_one_or_none()
        if owner is not None:
            return int(owner)
    member = teams.next_member(conn, str(team["key"]))
    return member if member is not None else team["lead_id"]


def route(conn: Connection, answer_id: int, now: datetime) -> int | None:
    """Route a new answer by its survey's rules; return the follow-up's task id, or None."""
    answer = repository.answer(conn, answer_id)
    if answer is None:
        raise NotFound(f"no answer with id {answer_id}")
    if conn.execute(
        select(SurveyFollowup.id).where(SurveyFollowup.answer_id == answer_id)
    ).scalar_one_or_none():
        return None
    survey = service.by_id(conn, int(answer["survey_id"]))
    rules = routing.rules_for(conn, survey.key)
    if not rules:
        return None
    rule = routing.first_match(rules, routing.facts(conn, answer))
    if rule is None:
        return None
    team = teams.find(conn, rule.team)
    if team is None:  # the team was checked when the rules were applied
        return None
    customer_id = int(answer["customer_id"])
    now = as_utc(now)
    due_at = now + timedelta(hours=rule.sla_hours or int(team["sla_hours"]))
    score = "" if answer["score"] is None else f" {answer['score']}"
    band = f" ({answer['band']})" if answer["band"] else ""
    task = tasks.create_task(
        conn,
        ROUTER,
        customer_id=customer_id,
        title=f"Follow up the {survey.spec.title.en} answer{score}{band}",
        due_on=due_at.date(),
        assignee_id=_assignee(conn, team, rule.assign or str(team["assign"]), customer_id),
        notes=(answer["comment"] or None) and str(answer["comment"])[:2000],
        source=f"survey:{survey.key}",
        requires_root_cause=True,
        now=now,
    )
    conn.execute(
        insert(SurveyFollowup).values(
            answer_id=answer_id,
            survey_id=survey.id,
            customer_id=customer_id,
            team=rule.team,
            rule=rule.name,
            task_id=int(task["id"]),
            created_at=now,
            due_at=due_at,
            reopened=0,
        )
    )
    return int(task["id"])


def escalate(conn: Connection, now: datetime) -> int:
    """Hand each open follow-up past its due moment to its team's lead, once; return how many."""
    from tenure.domains.surveys.models import Team

    now = as_utc(now)
    due = conn.execute(
        select(SurveyFollowup.id, SurveyFollowup.task_id, Task.assignee_id, Team.lead_id)
        .join(Task, Task.id == SurveyFollowup.task_id)
        .join(Team, Team.key == SurveyFollowup.team)
        .where(
            SurveyFollowup.closed_at.is_(None),
            SurveyFollowup.escalated_at.is_(None),
            SurveyFollowup.due_at < now,
            Task.status == TaskStatus.OPEN.value,
        )
        .order_by(SurveyFollowup.id)
    ).all()
    for followup_id, task_id, assignee_id, lead_id in due:
        if lead_id is not None and lead_id != assignee_id:
            tasks.update_task(conn, ROUTER, int(task_id), {"assignee_id": int(lead_id)})
        conn.execute(
            update(SurveyFollowup).where(SurveyFollowup.id == followup_id).values(escalated_at=now)
        )
        audit.record(
            conn,
            ROUTER,
            "survey.escalate",
            "survey_followups",
            int(followup_id),
            before={"assignee_id": assignee_id},
            after={"assignee_id": lead_id if lead_id is not None else assignee_id},
        )
    return len(due)


def of_task(conn: Connection, task_id: int) -> dict[str, Any] | None:
    """Return the follow-up a task is for, or None."""
    row = (
        conn.execute(select(SurveyFollowup.__table__).where(SurveyFollowup.task_id == task_id))
        .mappings()
        .first()
    )
    return None if row is None else plain_row(row)


def close(
    conn: Connection,
    actor: audit.Actor,
    task_id: int,
    *,
    outcome: str,
    root_cause: str,
    note: str = "",
    ask: bool = False,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Complete a follow-up's task with its outcome and root cause; maybe ask "resolved?".

    ``ask``: send the routing rule's ``check`` survey (an email if it names a template); a
    poor answer to it reopens the task (``on_check_answer``).
    """
    followup = of_task(conn, task_id)
    if followup is None:
        raise NotFound(f"task {task_id} is not a survey follow-up")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome: one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if root_cause not in tasks.ROOT_CAUSES:
        raise InvalidInput(f"root_cause: one of {', '.join(tasks.ROOT_CAUSES)}, not {root_cause!r}")
    now = as_utc(now)
    words = outcome.replace("_", " ")
    tasks.complete_task(
        conn,
        actor,
        task_id,
        f"{words}: {note.strip()}" if note.strip() else words,
        root_cause,
        now=now,
    )
    values: dict[str, Any] = {"outcome": outcome, "root_cause": root_cause, "closed_at": now}
    if outcome in REACHED and followup["contacted_at"] is None:
        values["contacted_at"] = now
    if ask:
        values["check_invitation_id"] = _ask(conn, followup, now, settings)
    conn.execute(update(SurveyFollowup).where(SurveyFollowup.id == followup["id"]).values(values))
    audit.record(
        conn,
        actor,
        "survey.close",
        "survey_followups",
        int(followup["id"]),
        after={k: v for k, v in values.items() if k != "closed_at"},
    )
    return followup | values


def _ask(
    conn: Connection, followup: dict[str, Any], now: datetime, settings: Settings
) -> int | None:
    survey = service.by_id(conn, int(followup["survey_id"]))
    rule = next(
        (r for r in routing.rules_for(conn, survey.key) if r.name == followup["rule"]), None
    )
    if rule is None or rule.check is None:
        raise InvalidInput(
            f"ask: the routing rule {followup['rule']!r} names no check survey to send"
        )
    key = f"followup:{followup['id']}:check:{followup['reopened']}"
    invited = service.invite(
        conn,
        survey_key=rule.check.survey,
        customer_id=int(followup["customer_id"]),
        key=key,
        now=now,
        settings=settings,
        source="followup",
        asked=True,
    )
    if invited.url is not None and rule.check.template is not None:
        queued = messaging.queue_email(
            conn,
            key=key,
            customer_id=int(followup["customer_id"]),
            template=rule.check.template,
            category="service",
            source="followup",
            now=now,
            settings=settings,
            extra={"survey": {"key": rule.check.survey, "url": invited.url}},
        )
        if invited.reason is None:
            repository.set_invitation(
                conn, invited.invitation_id, {"message_id": queued.message_id}
            )
    return invited.invitation_id if invited.url is not None else None


def on_check_answer(
    conn: Connection, invitation_id: int, band: str | None, now: datetime
) -> int | None:
    """Reopen the follow-up whose "resolved?" survey got a poor answer; return its task id."""
    row = (
        conn.execute(
            select(SurveyFollowup.__table__).where(
                SurveyFollowup.check_invitation_id == invitation_id
            )
        )
        .mappings()
        .first()
    )
    if row is None or band not in POOR or row["closed_at"] is None:
        return None
    task_id = int(row["task_id"])
    tasks.reopen_task(conn, ROUTER, task_id, f"the customer's answer: {band}")
    conn.execute(
        update(SurveyFollowup)
        .where(SurveyFollowup.id == row["id"])
        .values(closed_at=None, outcome=None, reopened=int(row["reopened"]) + 1)
    )
    return task_id


def is_check(conn: Connection, invitation_id: int | None) -> bool:
    """Return whether an invitation is a follow-up's "did we resolve it?" survey."""
    if invitation_id is None:
        return False
    found = conn.execute(
        select(SurveyFollowup.id).where(SurveyFollowup.check_invitation_id == invitation_id)
    ).first()
    return found is not None
