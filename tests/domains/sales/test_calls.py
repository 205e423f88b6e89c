"""Who to call today and a lead's score explained, on a hand-made store (both databases).

The run is as of Tuesday 2026-06-30; the business is on UTC. Ana and Bo sell.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from tenure.domains.events.models import Event, EventSource
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.sales import service as sales
from tenure.domains.scoring.models import ScoreHistory, ScoringRun
from tenure.domains.tasks.models import Task
from tenure.domains.users import service as users
from tenure.kit.settings import Settings
from tests.factories import make_customer

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _day(day: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


class Store:
    """A scored store built a customer at a time."""

    def __init__(self, conn: Connection, session: Session) -> None:
        self.conn, self.session = conn, session
        self.run = conn.execute(
            insert(ScoringRun)
            .values(
                as_of=TODAY,
                status="done",
                preset="ecommerce",
                config_hash="x",
                data_fingerprint="y",
                started_at=NOW,
            )
            .returning(ScoringRun.id)
        ).scalar_one()
        self.events = 0

    def customer(
        self, owner: int | None, stage: str, score: float | None, band: str | None, **fields: Any
    ) -> int:
        made = make_customer(self.session)
        made.owner_id = owner
        for name, value in fields.items():
            setattr(made, name, value)
        self.session.flush()
        self.conn.execute(
            insert(StageHistory).values(
                run_id=self.run, customer_id=made.id, stage=stage, since=TODAY, rule="r"
            )
        )
        self.conn.execute(
            insert(ScoreHistory).values(
                run_id=self.run,
                customer_id=made.id,
                lead_score=score,
                lead_band=band,
                lead_fit=None if score is None else 60.0,
                lead_engagement=None if score is None else score,
                lead_conversion=None if score is None else 0.25,
            )
        )
        return made.id

    def event(self, customer_id: int, at: datetime, kind: str, **properties: Any) -> None:
        self.events += 1
        self.conn.execute(
            insert(Event).values(
                external_id=f"e{self.events}-{customer_id}",
                customer_id=customer_id,
                occurred_at=at,
                type=kind,
                properties=properties or None,
                source=EventSource.RUN.value if kind == "score_crossed" else "import",
            )
        )

    def fell(self, customer_id: int, at: datetime, before: str, after: str) -> None:
        self.event(
            customer_id, at, "score_crossed", score="lead_band", **{"from": before}, to=after
        )

    def task(self, customer_id: int, assignee: int, due: date, status: str = "open") -> int:
        return self.conn.execute(
            insert(Task)
            .values(
                customer_id=customer_id,
                assignee_id=assignee,
                title=f"call {customer_id}",
                due_on=due,
                status=status,
                created_at=NOW,
            )
            .returning(Task.id)
        ).scalar_one()


def _people(conn: Connection) -> tuple[int, int]:
    ana = users.create_user(conn, "Ana", "ana@calls.test", "sales")[0]
    bo = users.create_user(conn, "Bo", "bo@calls.test", "sales")[0]
    return ana, bo


def test_the_call_list_holds_a_salespersons_follow_ups_hot_leads_and_leads_cooling(
    conn: Connection, session: Session
) -> None:
    ana, bo = _people(conn)
    store = Store(conn, session)
    hottest = store.customer(ana, "potential", 85.0, "hot")
    store.event(hottest, _day(28), "page_view")
    second = store.customer(ana, "potential", 75.0, "hot")
    store.customer(bo, "potential", 95.0, "hot")  # Bo's lead: not on Ana's list
    buyer = store.customer(ana, "growing", None, None)  # bought: no lead score
    cooled = store.customer(ana, "potential", 55.0, "warm")
    store.fell(cooled, _day(25), "hot", "warm")  # fell five days ago: cooling
    stronger = store.customer(ana, "potential", 65.0, "warm")
    store.fell(stronger, _day(22), "hot", "warm")  # fell earlier, but the stronger lead
    warmed = store.customer(ana, "potential", 72.0, "hot")
    store.fell(warmed, _day(20), "hot", "cold")
    store.fell(warmed, _day(27), "cold", "hot")  # … and rose again since: not cooling
    old = store.customer(ana, "potential", 30.0, "cold")
    store.fell(old, _day(1), "warm", "cold")  # a month ago: past the fortnight
    rising = store.customer(ana, "potential", 50.0, "warm")
    store.fell(rising, _day(29), "cold", "warm")  # a rise is not a fall
    late = store.task(buyer, ana, date(2026, 6, 28))
    later_still = store.task(cooled, ana, date(2026, 6, 20))
    today = store.task(hottest, ana, TODAY)
    store.task(buyer, ana, date(2026, 7, 5))  # not due yet
    store.task(buyer, ana, date(2026, 6, 1), status="done")  # done
    store.task(buyer, bo, date(2026, 6, 28))  # Bo's

    calls = sales.call_list(conn, ana, TODAY, "UTC")

    assert [t["id"] for t in calls.overdue] == [later_still, late]  # the oldest due first
    assert [t["id"] for t in calls.due_today] == [today]
    assert [r["id"] for r in calls.hot] == [hottest, second, warmed]
    assert calls.hot[0]["last_activity"] == _day(28)
    assert calls.hot[1]["last_activity"] is None  # nothing of their own yet
    # the likeliest to buy first (the same learned chance here: the higher lead score)
    assert [(r["id"], r["from"], r["to"]) for r in calls.cooling] == [
        (stronger, "hot", "warm"),
        (cooled, "hot", "warm"),
    ]
    assert calls.cooling_total == 2
    assert calls.cooling[1]["last_activity"] is None  # a score change is not activity
    assert not calls.empty
    assert sales.call_list(conn, bo, TODAY, "UTC").hot[0]["lead_score"] == 95.0


def test_a_new_salesperson_has_an_empty_list(conn: Connection, session: Session) -> None:
    ana, _ = _people(conn)
    assert sales.call_list(conn, ana, TODAY, "UTC").empty


def test_a_leads_profile_names_the_rules_it_meets_and_its_recent_activity(
    conn: Connection, session: Session
) -> None:
    ana, _ = _people(conn)
    store = Store(conn, session)
    lead = store.customer(
        ana,
        "potential",
        65.0,
        "warm",
        acquisition_channel="referral",
        email_consent=False,
        company_size="1000+",
    )
    for day, kind in ((10, "page_view"), (20, "page_view"), (25, "email_click"), (1, "login")):
        store.event(lead, _day(day), kind)
    store.event(lead, _day(20, month=5), "page_view")  # 41 days ago: outside the 30
    store.fell(lead, _day(29), "hot", "warm")  # Tenure's own: not activity

    profile = sales.lead_profile(conn, lead, Settings(), NOW)

    assert profile is not None
    assert [(r.rule.label_in("en"), r.met) for r in profile.rules] == [
        ("came through a referral, an event or a partner", True),
        ("agreed to receive email", False),
        ("a company of more than 50 people", True),
    ]
    assert profile.activity == {"page_view": 2, "email_click": 1, "login": 1}
    assert profile.last_activity == _day(25)
    assert profile.scores["lead_score"] == 65.0
    assert profile.scores["lead_band"] == "warm"
    buyer = store.customer(ana, "growing", None, None)
    assert sales.lead_profile(conn, buyer, Settings(), NOW) is None
