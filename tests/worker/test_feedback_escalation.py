"""The worker's tick hands a survey follow-up past its SLA to the team lead, on its own clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tenure.domains.audit.service import Actor
from tenure.domains.surveys import answering, routing, service, teams
from tenure.domains.surveys.models import SurveyFollowup
from tenure.domains.tasks.models import Task
from tenure.domains.users.models import User
from tenure.kit.clock import FrozenClock
from tenure.worker.process import Worker, WorkerOptions
from tests.domains.surveys.helpers import NOW, SETTINGS, customer, survey

RULES = (
    "survey: nps\nrules:\n  - name: detractors\n    when: {band: [detractor]}\n    team: support\n"
)


def test_an_overdue_follow_up_goes_to_the_lead_on_the_worker_tick(
    committed_store: Engine,
) -> None:
    with committed_store.begin() as conn, Session(bind=conn) as session:
        lead = User(name="Lead", email="lead@shop.test", role="manager")
        member = User(name="Sam", email="sam@shop.test", role="csm", team="support")
        session.add_all([lead, member])
        session.flush()
        survey(conn)
        teams.put(conn, Actor(None, "cli"), "support", {"lead_id": lead.id, "sla_hours": 4}, NOW)
        routing.apply(conn, RULES, "nps.routing.yaml", NOW)
        invited = service.invite(
            conn,
            survey_key="nps",
            customer_id=customer(session),
            key="k",
            now=NOW,
            settings=SETTINGS,
        )
        answering.answer_invitation(conn, invited.invitation_id, {"score": "2"}, "en", NOW)
        session.flush()
        lead_id, member_id = int(lead.id), int(member.id)
    clock = FrozenClock(NOW + timedelta(hours=3))
    worker = Worker(
        committed_store, SETTINGS, clock=clock, options=WorkerOptions(daily_run_at=None)
    )
    worker.start()
    try:
        assert worker.tick().escalated == 0
        clock.advance(timedelta(hours=2))
        assert worker.tick().escalated == 1
        assert worker.tick().escalated == 0
    finally:
        worker.stop()
    with committed_store.connect() as conn:
        row = conn.execute(
            select(Task.assignee_id, SurveyFollowup.escalated_at).join(
                SurveyFollowup, SurveyFollowup.task_id == Task.id
            )
        ).one()
    assert member_id != lead_id and row.assignee_id == lead_id
    assert row.escalated_at == NOW + timedelta(hours=5)
