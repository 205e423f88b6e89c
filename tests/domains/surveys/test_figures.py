"""Survey KPIs and a team's board, each checked against a count of its own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from statistics import median

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from tenure.domains.orders.models import Order
from tenure.domains.surveys import figures, followups, service
from tests.domains.surveys.helpers import NOW, SETTINGS, customer
from tests.domains.surveys.test_routing import PERSON, _answer, _setup, _task


def test_kpis_and_board_match_an_independent_count(conn: Connection, session: Session) -> None:
    _setup(conn, session)
    people = [customer(session) for _ in range(6)]
    # six invited, five answer: 2 promoters, 3 detractors (one says "invoice": billing)
    scores = ["10", "9", "2", "4", "1"]
    comments = ["", "", "bad invoice", "slow", "rude"]
    answer_ids = []
    for i, (cid, score, comment) in enumerate(zip(people, scores, comments, strict=False)):
        raw = {"score": score} | ({"comment": comment} if comment else {})
        answer_ids.append(_answer(conn, cid, f"k{i}", raw, NOW + timedelta(days=i)))
    service.invite(
        conn, survey_key="nps", customer_id=people[5], key="k5", now=NOW, settings=SETTINGS
    )
    tasks = [int(_task(conn, a)["id"]) for a in answer_ids[2:]]  # type: ignore[call-overload]
    # billing's (SLA 24 h) contacted after 5 h; support's (8 h) after 10 h, the third never
    followups.close(
        conn,
        PERSON,
        tasks[0],
        outcome="resolved",
        root_cause="price",
        now=NOW + timedelta(days=2, hours=5),
        settings=SETTINGS,
    )
    followups.close(
        conn,
        PERSON,
        tasks[1],
        outcome="contacted",
        root_cause="service",
        now=NOW + timedelta(days=3, hours=10),
        settings=SETTINGS,
    )
    # the first detractor buys again later: recovered; the second does not
    session.add(
        Order(
            external_id="o1",
            customer_id=people[2],
            ordered_at=NOW + timedelta(days=9),
            amount=Decimal("10.00"),
        )
    )
    session.flush()
    got = figures.survey_figures(conn, "nps")

    q = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
    sid = "(SELECT id FROM surveys WHERE key = 'nps')"
    invited = q(
        f"SELECT count(*) FROM survey_invitations WHERE survey_id = {sid} AND status = 'invited'"
    )
    answered = q(
        f"SELECT count(*) FROM survey_invitations WHERE survey_id = {sid} "
        "AND answered_at IS NOT NULL"
    )
    assert (invited, answered) == (6, 5)
    assert got["response_rate"] == answered / invited
    poor = q(f"SELECT count(*) FROM survey_answers WHERE survey_id = {sid} AND band = 'detractor'")
    in_sla = q(
        "SELECT count(*) FROM survey_followups f JOIN survey_answers a ON a.id = f.answer_id "
        f"WHERE a.survey_id = {sid} AND a.band = 'detractor' AND f.contacted_at <= f.due_at"
    )
    assert (poor, in_sla) == (3, 1)
    assert got["contacted_within_sla"] == in_sla / poor
    assert got["median_hours_to_contact"] == median([5.0, 10.0])
    assert (got["followed_up_closed"], got["recovered"], got["recovery_rate"]) == (2, 1, 0.5)
    # each answer fell in December 2026: NPS = (2 − 3) / 5
    assert got["by_month"] == [{"month": "2026-12", "answers": 5, "score": -20.0}]

    support = figures.team_board(conn, "support", NOW + timedelta(days=6))
    open_support = q(
        "SELECT count(*) FROM survey_followups f JOIN tasks t ON t.id = f.task_id "
        "WHERE f.team = 'support' AND t.status = 'open'"
    )
    assert (support["open"], support["overdue"], support["due"]) == (open_support, 1, 0)
    assert support["pareto"] == [
        {"month": "2026-12", "cause": "service", "count": 1, "cumulative": 1.0}
    ]
    billing = figures.team_board(conn, "billing", NOW)
    assert (billing["open"], billing["closed"]) == (0, 1)
    listed = figures.poor_answers(conn, "nps")
    assert [r["id"] for r in listed] == sorted(answer_ids[2:], reverse=True)
    assert [r["within_sla"] for r in listed] == [False, False, True]
