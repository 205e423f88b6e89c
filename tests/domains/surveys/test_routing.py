"""Teams and routing: answers routed by the first matching rule to a task; SLA, escalation, loop."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from tenure.domains.audit.service import Actor
from tenure.domains.surveys import answering, followups, routing, service, teams
from tenure.domains.surveys.models import SurveyFollowup
from tenure.domains.tasks.models import Task
from tenure.domains.users.models import User
from tenure.kit.errors import InvalidInput, NotFound
from tests.domains.surveys.helpers import NOW, SETTINGS, customer, survey

PERSON = Actor(None, "cli")
_n = count(1)

RULES = """\
survey: nps
rules:
  - name: billing-words
    when:
      keywords: [Invoice, 发票]
    team: billing
    sla_hours: 24
  - name: detractors
    when: {band: [detractor]}
    team: support
    assign: owner
    check: {survey: resolved}
"""


def _user(session: Session, team: str | None) -> int:
    n = next(_n)
    user = User(name=f"User {n}", email=f"u{n}-{team}@shop.test", role="csm", team=team)
    session.add(user)
    session.flush()
    return int(user.id)


def _setup(conn: Connection, session: Session) -> dict[str, int]:
    survey(conn)
    survey(conn, key="resolved", kind="csat", title={"en": "Resolved?", "zh": "解决了吗？"})
    ids = {
        "lead": _user(session, None),
        "b1": _user(session, "billing"),
        "b2": _user(session, "billing"),
        "s1": _user(session, "support"),
    }
    teams.put(conn, PERSON, "billing", {"name_zh": "账务", "lead_id": ids["lead"]}, NOW)
    teams.put(conn, PERSON, "support", {"sla_hours": 8, "lead_id": ids["lead"]}, NOW)
    routing.apply(conn, RULES, "nps.routing.yaml", NOW)
    return ids


def _answer(conn: Connection, cid: int, key: str, raw: dict[str, object], at=NOW) -> int:  # type: ignore[no-untyped-def]
    invited = service.invite(
        conn, survey_key="nps", customer_id=cid, key=key, now=at, settings=SETTINGS
    )
    return answering.answer_invitation(conn, invited.invitation_id, raw, "en", at).answer_id


def _task(conn: Connection, answer_id: int) -> dict[str, object]:
    query = (
        select(
            Task.id,
            Task.assignee_id,
            Task.due_on,
            Task.requires_root_cause,
            SurveyFollowup.team,
            SurveyFollowup.rule,
        )
        .join(SurveyFollowup, SurveyFollowup.task_id == Task.id)
        .where(SurveyFollowup.answer_id == answer_id)
    )
    return dict(conn.execute(query).mappings().one())


def test_first_matching_rule_wins_round_robin_then_owner(
    conn: Connection, session: Session
) -> None:
    ids = _setup(conn, session)
    # a promoter whose text names an invoice: the first rule, though not a detractor
    c1, c2, c3 = customer(session), customer(session), customer(session)
    a1 = _answer(conn, c1, "a1", {"score": "9", "comment": "the invoice was late"})
    a2 = _answer(conn, c2, "a2", {"score": "2", "comment": "发票 wrong"})
    t1, t2 = _task(conn, a1), _task(conn, a2)
    assert (t1["team"], t1["rule"], t2["team"], t2["rule"]) == (
        "billing",
        "billing-words",
        "billing",
        "billing-words",
    )
    # round-robin: the member with fewer open tasks, so the two go to two people
    assert {t1["assignee_id"], t2["assignee_id"]} == {ids["b1"], ids["b2"]}
    assert t1["due_on"] == (NOW + timedelta(hours=24)).date() and t1["requires_root_cause"]
    # a detractor with no keyword: support, to the owner (none here: round-robin, s1)
    a3 = _answer(conn, c3, "a3", {"score": "4", "comment": "slow"})
    t3 = _task(conn, a3)
    assert (t3["team"], t3["assignee_id"]) == ("support", ids["s1"])
    # the owner when there is one
    c4 = customer(session)
    conn.execute(
        text("UPDATE customers SET owner_id = :u WHERE id = :c"), {"u": ids["b1"], "c": c4}
    )
    assert _task(conn, _answer(conn, c4, "a4", {"score": "0"}))["assignee_id"] == ids["b1"]
    # a passive without keywords matches nothing: no task
    a5 = _answer(conn, customer(session), "a5", {"score": "8"})
    made = conn.execute(
        text("SELECT count(*) FROM survey_followups WHERE answer_id = :a"), {"a": a5}
    )
    assert made.scalar_one() == 0
    # the team listing counts members' open tasks (checked against a plain count)
    listed = {m["id"]: m["open_tasks"] for m in teams.get(conn, "billing")["members"]}
    for user_id, shown in listed.items():
        expected = conn.execute(
            text("SELECT count(*) FROM tasks WHERE assignee_id = :u AND status = 'open'"),
            {"u": user_id},
        ).scalar_one()
        assert shown == expected
    assert sum(listed.values()) == 3  # t1, t2 and c4's


def test_overdue_escalates_to_the_lead_once(conn: Connection, session: Session) -> None:
    ids = _setup(conn, session)
    answer_id = _answer(conn, customer(session), "x", {"score": "1"})
    task = _task(conn, answer_id)
    assert followups.escalate(conn, NOW + timedelta(hours=7)) == 0  # support's SLA: 8 h
    assert followups.escalate(conn, NOW + timedelta(hours=9)) == 1
    assert followups.escalate(conn, NOW + timedelta(hours=10)) == 0  # once
    assignee = conn.execute(select(Task.assignee_id).where(Task.id == task["id"])).scalar_one()
    assert assignee == ids["lead"]


def test_closing_asks_outcome_and_cause_and_a_poor_check_reopens(
    conn: Connection, session: Session
) -> None:
    _setup(conn, session)
    answer_id = _answer(conn, customer(session), "x", {"score": "3"})
    task_id = int(_task(conn, answer_id)["id"])  # type: ignore[call-overload]
    later = NOW + timedelta(hours=3)
    with pytest.raises(InvalidInput, match="^outcome:"):
        followups.close(
            conn, PERSON, task_id, outcome="done", root_cause="price", now=later, settings=SETTINGS
        )
    with pytest.raises(InvalidInput, match="^root_cause:"):
        followups.close(
            conn, PERSON, task_id, outcome="resolved", root_cause="x", now=later, settings=SETTINGS
        )
    closed = followups.close(
        conn,
        PERSON,
        task_id,
        outcome="resolved",
        root_cause="service",
        note="refunded",
        ask=True,
        now=later,
        settings=SETTINGS,
    )
    assert closed["contacted_at"] == later and closed["check_invitation_id"] is not None
    status = conn.execute(select(Task.status, Task.root_cause).where(Task.id == task_id)).one()
    assert tuple(status) == ("done", "service")
    # the "resolved?" CSAT answered poorly: the task is open again, the check is not routed
    check = int(closed["check_invitation_id"])
    answering.answer_invitation(conn, check, {"score": "1"}, "en", later + timedelta(hours=1))
    again = followups.of_task(conn, task_id)
    assert again is not None and again["reopened"] == 1 and again["closed_at"] is None
    assert conn.execute(select(Task.status).where(Task.id == task_id)).scalar_one() == "open"
    assert again["contacted_at"] == later  # the first contact stays
    routed = conn.execute(text("SELECT count(*) FROM survey_followups")).scalar_one()
    assert routed == 1
    with pytest.raises(NotFound):
        followups.close(
            conn, PERSON, 10**9, outcome="resolved", root_cause="x", now=later, settings=SETTINGS
        )


def test_a_reopened_follow_up_closes_again_with_a_second_completion_event(
    conn: Connection, session: Session
) -> None:
    _setup(conn, session)
    task_id = int(_task(conn, _answer(conn, customer(session), "x", {"score": "3"}))["id"])  # type: ignore[call-overload]
    first = NOW + timedelta(hours=3)
    closed = followups.close(
        conn, PERSON, task_id, outcome="resolved", root_cause="service", ask=True,
        now=first, settings=SETTINGS,
    )  # fmt: skip
    check = int(closed["check_invitation_id"])
    answering.answer_invitation(conn, check, {"score": "2"}, "en", first + timedelta(hours=1))
    second = NOW + timedelta(days=2)
    followups.close(
        conn, PERSON, task_id, outcome="contacted", root_cause="price", now=second,
        settings=SETTINGS,
    )  # fmt: skip
    # the task was completed when the follow-up says, and each completion is its own event
    done = conn.execute(select(Task.status, Task.completed_at).where(Task.id == task_id)).one()
    assert tuple(done) == ("done", second)
    keys = conn.execute(
        text("SELECT external_id FROM events WHERE type = 'task_completed' ORDER BY id")
    ).scalars()
    assert list(keys) == [f"task:{task_id}:completed", f"task:{task_id}:completed:2"]


def test_a_routing_file_is_checked_with_file_line_and_field(
    conn: Connection, session: Session
) -> None:
    bad = "survey: nps\nrules:\n  - name: one\n    team: billing\n    sla_hours: 0\n"
    with pytest.raises(routing.RoutingInvalid) as caught:
        routing.parse(bad, "r.yaml")
    assert caught.value.mistakes[0].describe().startswith("r.yaml, line 5: rules[0].sla_hours:")
    unknown = "survey: nps\nrules:\n  - name: one\n    when: {colour: red}\n    team: x\n"
    with pytest.raises(routing.RoutingInvalid, match=r"line 4: rules\[0\]\.when\.colour"):
        routing.parse(unknown, "r.yaml")
    survey(conn)
    teams.put(conn, PERSON, "billing", {}, NOW)
    missing = (
        "survey: nps\nrules:\n  - name: one\n    team: billing\n  - name: two\n    team: ghosts\n"
    )
    with pytest.raises(routing.RoutingInvalid, match=r"r.yaml, line 6: rules\[1\]\.team: no team"):
        routing.apply(conn, missing, "r.yaml", NOW)
    with pytest.raises(InvalidInput, match="^sla_hours:"):
        teams.put(conn, PERSON, "billing", {"sla_hours": 0}, NOW)
    with pytest.raises(InvalidInput, match="^lead_id:"):
        teams.put(conn, PERSON, "billing", {"lead_id": 10**9}, NOW)
