"""The four shipped presets end to end, as shipped, on a frozen clock, on both databases.

Each test publishes the preset's own YAML file, writes a tiny timeline (a scoring run's stage
changes and band crossings in the feed, orders, opens, survey answers), ticks the worker's
playbook pass day by day and reads what came of it: the emails that reached a real SMTP
server on loopback (aiosmtpd), the tasks (owner, due day, checklist), the waits and the goals.

The runs here are written as a scoring run writes them (a done ``scoring_runs`` row, every
customer's stage and scores in it, the moves in the feed dated at the end of the run's day),
so the presets' conditions (``lead_fit``, ``stage``) read what they would read in production.
"""

from __future__ import annotations

import email
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, insert, select, update

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.automation.presets import FOLDER
from tenure.domains.customers import changes
from tenure.domains.events import feed
from tenure.domains.events.models import Event, EventSource, SystemEventType
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.orders.models import Order
from tenure.domains.scoring.models import ScoreHistory, ScoringRun
from tenure.domains.tasks import service as tasks
from tenure.domains.tasks.models import Task
from tenure.domains.users import service as users
from tenure.domains.users.models import User
from tenure.kit.clock import FrozenClock
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import MessagingSettings, Settings
from tenure.kit.timeutil import end_of_day
from tenure.storage.engine import write_transaction
from tenure.worker.playbooks import PlaybookTick, tick

PERSON = Actor(None, "cli")
DAY0 = datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday, 09:00 UTC: inside the send window


def held_out(playbook: str, customer_id: int, share: float) -> bool:
    """The documented holdout draw, computed here on its own: sha256("name:id") < share."""
    digest = hashlib.sha256(f"{playbook}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass
class Mailbox:
    """What the loopback SMTP server accepted."""

    received: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[tuple[str, str]]:
        """Return (subject, plain text) of each message to ``address``, in arrival order."""
        found = []
        for message in self.received:
            if message["To"] == address:
                part = message.get_body(preferencelist=("plain",))
                assert part is not None
                found.append((str(message["Subject"]), part.get_content()))
        return found

    def subjects(self) -> dict[str, list[str]]:
        """Return every recipient's subjects, in arrival order."""
        out: dict[str, list[str]] = {}
        for message in self.received:
            out.setdefault(str(message["To"]), []).append(str(message["Subject"]))
        return out


@dataclass
class World:
    """A store with one preset published, a loopback SMTP server and a frozen clock."""

    store: Engine
    mailbox: Mailbox
    settings: Settings
    clock: FrozenClock
    stages: dict[int, str] = field(default_factory=dict)  # every customer's current stage
    scores: dict[int, dict[str, Any]] = field(default_factory=dict)
    runs: int = 0

    def customer(self, external_id: str, **fields: Any) -> int:
        fields.setdefault("email", f"{external_id}@customers.test")
        with write_transaction(self.store) as conn:
            return changes.create_customer(conn, PERSON, {"external_id": external_id, **fields})

    def user(self, name: str, role: str) -> int:
        with write_transaction(self.store) as conn:
            slug = name.lower().replace(" ", ".")
            return int(users.create_user(conn, name, f"{slug}@team.test", role)[0])

    def publish(self, *files: str) -> None:
        with write_transaction(self.store) as conn:
            service.apply(
                conn, PERSON, [parse((FOLDER / f).read_text(encoding="utf-8"), f) for f in files]
            )

    def run(
        self,
        day: date,
        stages: dict[int, str] | None = None,
        scores: dict[int, dict[str, Any]] | None = None,
    ) -> None:
        """Commit a scoring run as of ``day``: stages and scores, its moves in the feed."""
        stages, scores = stages or {}, scores or {}
        moves = {c: (self.stages.get(c), s) for c, s in stages.items() if self.stages.get(c) != s}
        crossed = {
            c: (self.scores.get(c, {}).get("health_band"), s["health_band"])
            for c, s in scores.items()
            if "health_band" in s
            and self.scores.get(c, {}).get("health_band") is not None
            and self.scores[c]["health_band"] != s["health_band"]
        }
        self.stages |= stages
        for c, s in scores.items():
            self.scores[c] = self.scores.get(c, {}) | s
        at = end_of_day(day, "UTC")
        self.runs += 1
        with write_transaction(self.store) as conn:
            run_id = conn.execute(
                insert(ScoringRun)
                .values(
                    as_of=day,
                    status="done",
                    preset="ecommerce",
                    config_hash="c",
                    data_fingerprint=f"run-{self.runs}",
                    started_at=at,
                    finished_at=at,
                )
                .returning(ScoringRun.id)
            ).scalar_one()
            conn.execute(
                insert(StageHistory),
                [
                    {"run_id": run_id, "customer_id": c, "stage": s, "since": day, "rule": "t"}
                    for c, s in self.stages.items()
                ],
            )
            if self.scores:
                conn.execute(
                    insert(ScoreHistory),
                    [{"run_id": run_id, "customer_id": c, **s} for c, s in self.scores.items()],
                )
            news = [
                feed.NewEvent(
                    key=f"run:{run_id}:stage:{c}",
                    customer_id=c,
                    type=SystemEventType.STAGE_CHANGED,
                    occurred_at=at,
                    properties={"from": before, "to": after, "rule": "t", "run_id": run_id},
                )
                for c, (before, after) in moves.items()
            ] + [
                feed.NewEvent(
                    key=f"run:{run_id}:health_band:{c}",
                    customer_id=c,
                    type=SystemEventType.SCORE_CROSSED,
                    occurred_at=at,
                    properties={"score": "health_band", "from": b, "to": a, "run_id": run_id},
                )
                for c, (b, a) in crossed.items()
            ]
            if news:
                feed.append(conn, EventSource.RUN, news)

    def event(self, customer_id: int, kind: str, at: datetime, **properties: Any) -> None:
        """An event: Tenure's own through the feed (a survey answered), else an import's."""
        key = f"{kind}:{customer_id}:{at.isoformat()}"
        with write_transaction(self.store) as conn:
            if kind not in set(SystemEventType):  # an email opened, imported from a file
                conn.execute(
                    insert(Event).values(
                        external_id=key,
                        customer_id=customer_id,
                        type=kind,
                        occurred_at=at,
                        properties=properties or None,
                    )
                )
                return
            news = feed.NewEvent(
                key=key,
                customer_id=customer_id,
                type=SystemEventType(kind),
                occurred_at=at,
                properties=properties or None,
            )
            feed.append(conn, EventSource.PERSON, [news])

    def order(self, customer_id: int, at: datetime) -> None:
        with write_transaction(self.store) as conn:
            conn.execute(
                insert(Order).values(
                    external_id=f"o-{customer_id}-{at.date()}",
                    customer_id=customer_id,
                    ordered_at=at,
                    status="paid",
                    amount=Decimal("42.00"),
                    currency="USD",
                )
            )

    def at(self, moment: datetime) -> PlaybookTick:
        """Move the clock to ``moment`` and tick the worker's playbook pass."""
        self.clock.advance(moment - self.clock.now())
        return tick(self.store, self.settings, self.clock)

    def enrollments(self) -> dict[int, tuple[str, str | None, bool]]:
        """customer → (status, reason, holdout) of their latest enrollment."""
        with self.store.connect() as conn:
            rows = conn.execute(
                select(
                    Enrollment.customer_id,
                    Enrollment.status,
                    Enrollment.reason,
                    Enrollment.holdout,
                ).order_by(Enrollment.id)
            ).all()
        return {int(r.customer_id): (r.status, r.reason, bool(r.holdout)) for r in rows}

    def tasks(self) -> list[dict[str, Any]]:
        with self.store.connect() as conn:
            rows = conn.execute(
                select(
                    Task.id,
                    Task.customer_id,
                    Task.assignee_id,
                    Task.due_on,
                    Task.title,
                    Task.checklist,
                    Task.requires_root_cause,
                    Task.source,
                ).order_by(Task.id)
            ).mappings()
            return [dict(r) | {"due_on": str(r["due_on"])[:10]} for r in rows]

    def outcomes(self, customer_id: int) -> list[tuple[str, str]]:
        """The (step id, outcome) of every step run of a customer's enrollments, in order."""
        with self.store.connect() as conn:
            rows = conn.execute(
                select(StepRun.step_id, StepRun.outcome)
                .join(Enrollment, Enrollment.id == StepRun.enrollment_id)
                .where(Enrollment.customer_id == customer_id)
                .order_by(StepRun.enrollment_id, StepRun.seq)
            ).all()
        return [(r.step_id, r.outcome) for r in rows]


@pytest.fixture
def world(store: Engine) -> Iterator[World]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(
        messaging=MessagingSettings(
            transport="smtp",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            from_address="Acme <hello@acme.test>",
            smtp_timeout=10,
        )
    )
    try:
        yield World(store, mailbox, settings, FrozenClock(DAY0))
    finally:
        controller.stop()


def _day(n: int, hour: int = 9) -> datetime:
    return DAY0.replace(hour=hour) + timedelta(days=n)


def test_lead_welcome_by_industry_then_a_follow_up_for_the_silent(world: World) -> None:
    csm = world.user("Sam Seller", "csm")
    rep = world.user("Fay Sales", "sales")
    software = world.customer(
        "sw", name="Ann Soft", industry="Software", owner_id=csm, email_consent=True
    )
    retail = world.customer("rt", name="Bo Shop", industry="retail", email_consent=True)
    farming = world.customer("fm", name="Cy Farm", industry="farming", email_consent=True)
    unfit = world.customer("uf", name="Di Unfit", industry="retail", email_consent=True)
    quiet = world.customer("nc", name="Ed NoConsent", industry="retail", email_consent=False)
    assert not any(held_out("lead-welcome", c, 0.1) for c in (software, retail, farming))
    world.publish("lead-welcome.yaml")
    # day -1 (as of 3 May): five leads appear; four fit the ideal customer profile
    world.run(
        date(2026, 5, 3),
        {c: "potential" for c in (software, retail, farming, unfit, quiet)},
        {
            software: {"lead_fit": 80.0},
            retail: {"lead_fit": 75.0},
            farming: {"lead_fit": 70.0},
            unfit: {"lead_fit": 40.0},  # below 60: not a promising lead
            quiet: {"lead_fit": 90.0},  # no email consent
        },
    )
    # day 0: three welcomes, each with the report of the lead's industry (or the guide)
    first = world.at(_day(0))
    assert (first.enrolled, first.emails) == (3, {"sent": 3})
    [(subject, text)] = world.mailbox.to("sw@customers.test")
    assert subject == "Welcome to Tenure, Ann"
    assert "in software get more" in text
    assert '"Retention in software and SaaS, 2026"' in text
    [(_, text)] = world.mailbox.to("rt@customers.test")
    assert '"Repeat buyers in retail and e-commerce, 2026"' in text
    [(_, text)] = world.mailbox.to("fm@customers.test")  # no report for farming: the guide
    assert '"Keeping customers for longer"' in text and "industry report" not in text
    assert "in farming get more" in text
    assert world.mailbox.to("uf@customers.test") == world.mailbox.to("nc@customers.test") == []
    # day 3: the retail lead opens the email; the wait ends for them, without a task
    world.event(retail, "email_open", _day(3, 8))
    world.at(_day(3, 10))
    assert world.outcomes(retail)[-2:] == [("wait-for-interest", "arrived"), ("done", "exit")]
    # day 6, late evening: still within the 7 days: no task yet
    assert world.at(_day(6, 23)).steps == 0
    assert world.tasks() == []
    # day 7, 09:00: the silent two get a follow-up task, due the next day
    world.at(_day(7))
    made = world.tasks()
    assert [(t["customer_id"], t["assignee_id"], t["due_on"], t["title"]) for t in made] == [
        (software, csm, "2026-05-12", "Follow up on a new lead"),  # their owner
        (farming, rep, "2026-05-12", "Follow up on a new lead"),  # no owner: a salesperson
    ]
    assert {t["source"] for t in made} == {"playbook:lead-welcome"}
    assert world.enrollments() == {
        software: ("exited", "exit step", False),
        retail: ("exited", "exit step", False),
        farming: ("exited", "exit step", False),
    }
    assert len(world.mailbox.received) == 3  # nothing sent twice over eight ticks


def test_onboarding_thanks_every_first_order_and_nudges_who_did_not_order_again(
    world: World,
) -> None:
    held = world.customer("held", name="Hal Held", email_consent=True)
    lead = world.customer("lead", name="Liu Lead", email_consent=True)
    walk_in = world.customer("walk", name="Wu Walkin", email_consent=True)
    repeat = world.customer("again", name="Ray Repeat", email_consent=True)
    refused = world.customer("nope", name="No Consent", email_consent=False)
    expected_held = [
        c for c in (held, lead, walk_in, repeat) if held_out("new-customer-onboarding", c, 0.1)
    ]
    assert expected_held == [held], "the timeline below expects exactly 'held' in the holdout"
    world.publish("new-customer-onboarding.yaml")
    world.run(date(2026, 4, 20), {lead: "potential", repeat: "potential"})
    # 3 May: first orders — two leads become "new", two buyers appear with their first order
    # ("new" from no stage at all: the trigger has no "from")
    world.run(date(2026, 5, 3), {c: "new" for c in (held, lead, walk_in, repeat, refused)})
    first = world.at(_day(0))
    assert first.enrolled == 4  # not the one without consent
    assert first.emails == {"sent": 3}  # the held-out customer gets nothing
    for address in ("lead", "walk", "again"):
        [(subject, text)] = world.mailbox.to(f"{address}@customers.test")
        assert subject.startswith("Thank you for your order, ")
        assert "Thank you for your first order" in text
    # day 10: "again" orders a second time — the goal
    world.order(repeat, _day(10, 14))
    world.at(_day(10, 15))
    world.run(date(2026, 5, 20), {repeat: "growing"})
    # day 29: the wait is 30 days
    assert world.at(_day(29, 23)).steps == 0
    done = world.at(_day(30))
    assert done.emails == {"sent": 2}
    assert [s for s, _ in world.mailbox.to("lead@customers.test")][1].endswith(
        "ready for your next order?"
    )
    assert len(world.mailbox.to("walk@customers.test")) == 2
    assert len(world.mailbox.to("again@customers.test")) == 1  # converted: no nudge
    assert world.enrollments() == {
        held: ("active", None, True),  # followed until its goal window closes
        lead: ("exited", "exit step", False),
        walk_in: ("exited", "exit step", False),
        repeat: ("converted", "goal", False),
    }
    world.at(_day(60))
    assert world.enrollments()[held] == ("completed", "holdout", True)
    assert world.tasks() == []


def test_win_back_task_offer_and_a_second_offer_to_who_churned_without_buying(
    world: World,
) -> None:
    boss = world.user("Mo Manager", "manager")
    csm = world.user("Cara Success", "csm")
    churns = world.customer("c1", name="Chen Churns", email_consent=True, owner_id=boss)
    holdout = world.customer("c2", name="Hu Holdout", email_consent=True)
    buys = world.customer("c3", name="Bai Buys", email_consent=True)
    red = world.customer("c4", name="Ren Red", email_consent=True)
    steady = world.customer("c5", name="Shi Steady", email_consent=True)
    steady2 = world.customer("c6", name="Su Steady", email_consent=True)
    lingers = world.customer("c7", name="Li Lingers", email_consent=True)
    assert [c for c in (churns, holdout, buys, red, lingers) if held_out("win-back", c, 0.1)] == [
        holdout
    ]
    everyone = {
        churns: "mature",
        holdout: "mature",
        buys: "mature",
        red: "growing",
        steady: "mature",
        steady2: "mature",
        lingers: "mature",
    }
    world.run(date(2026, 4, 1), everyone, {c: {"health_band": "green"} for c in everyone})
    world.publish("win-back.yaml")
    # 3 May: four start to decline; "red" stays growing but their health turns red
    world.run(
        date(2026, 5, 3),
        {c: "declining" for c in (churns, holdout, buys, lingers)},
        {red: {"health_band": "red"}},
    )
    first = world.at(_day(0))
    assert first.enrolled == 5
    assert first.emails == {"sent": 4}
    made = world.tasks()
    assert [(t["customer_id"], t["assignee_id"], t["due_on"]) for t in made] == [
        (churns, boss, "2026-05-07"),  # the owner
        (buys, csm, "2026-05-07"),  # no owner: customer success
        (red, csm, "2026-05-07"),
        (lingers, csm, "2026-05-07"),
    ]
    assert all(t["requires_root_cause"] and t["title"] == "Win back this customer" for t in made)
    assert [item["text"] for item in made[0]["checklist"]] == [
        "Find the root cause: product, service or price",
        "Plan what to offer or fix",
        "Carry it out and talk to the customer",
        "Evaluate what came of it",
    ]
    with write_transaction(world.store) as conn, pytest.raises(InvalidInput, match="root_cause"):
        tasks.complete_task(conn, PERSON, made[0]["id"], "Called them")
    with write_transaction(world.store) as conn:
        tasks.complete_task(conn, PERSON, made[0]["id"], "Called them", root_cause="price")
    for address in ("c1", "c3", "c4", "c7"):
        [(subject, _)] = world.mailbox.to(f"{address}@customers.test")
        assert subject.startswith("We miss you, ")
    # day 20: "buys" buys (the goal); "red" now enters declining: still waiting for churn
    world.order(buys, _day(20, 11))
    world.run(date(2026, 5, 23), {red: "declining"})
    world.at(_day(20))
    assert world.outcomes(red)[-3:] == [
        ("wait-for-churn", "arrived"),
        ("churned-yet", "else"),
        ("still-declining", "then"),
    ]
    # day 40: "churns" churns without buying: the second offer
    world.run(date(2026, 6, 12), {churns: "churned"})
    assert world.at(_day(40)).emails == {"sent": 1}
    assert [s for s, _ in world.mailbox.to("c1@customers.test")] == [
        "We miss you, Chen — an offer for you",
        "One last offer from Tenure",
    ]
    # day 55: "red" churns too, 35 days after it began to decline
    world.run(date(2026, 6, 27), {red: "churned"})
    world.at(_day(55))
    assert world.mailbox.subjects()["c4@customers.test"][-1] == "One last offer from Tenure"
    # day 60: "lingers" has neither bought nor churned: the wait times out, no second offer
    world.at(_day(60))
    assert world.outcomes(lingers)[-2:] == [("wait-for-churn", "timed_out"), ("done", "exit")]
    assert world.enrollments() == {
        churns: ("exited", "exit step", False),
        holdout: ("completed", "holdout", True),
        buys: ("converted", "goal", False),
        red: ("exited", "exit step", False),
        lingers: ("exited", "exit step", False),
    }
    assert {a: len(s) for a, s in world.mailbox.subjects().items()} == {
        "c1@customers.test": 2,
        "c3@customers.test": 1,
        "c4@customers.test": 2,
        "c7@customers.test": 1,
    }


def test_nps_detractors_get_a_call_and_promoters_a_referral_invitation(world: World) -> None:
    csm = world.user("Cara Success", "csm")
    owner = world.user("Olga Owner", "sales")
    detractor = world.customer("d", name="Du Detractor", email_consent=True, owner_id=owner)
    passive = world.customer("p", name="Pan Passive", email_consent=True)
    promoter = world.customer("m", name="Ma Promoter", email_consent=True)
    silent = world.customer("s", name="Song Silent", email_consent=False)
    orphan = world.customer("o", name="Ou Orphan", email_consent=True)
    assert not any(held_out("nps-promoters", c, 0.1) for c in (promoter, silent))
    world.publish("nps-detractors.yaml", "nps-promoters.yaml")
    for customer, score in ((detractor, 4), (passive, 7), (promoter, 9), (silent, 10), (orphan, 0)):
        band = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
        world.event(customer, "survey_answered", _day(0, 8), survey="nps", score=score, band=band)
    world.at(_day(0))
    made = world.tasks()
    assert [(t["customer_id"], t["assignee_id"], t["due_on"], t["title"]) for t in made] == [
        (detractor, owner, "2026-05-06", "Call a detractor"),  # within 2 days, their owner
        (orphan, csm, "2026-05-06", "Call a detractor"),  # nobody owns them: success
    ]
    assert all(t["requires_root_cause"] for t in made)
    assert world.mailbox.subjects() == {
        "m@customers.test": ["Thank you, Ma — share Tenure with a friend"]
    }
    # a second bad answer 10 days later: still being looked after (again after 30 days)
    world.event(detractor, "survey_answered", _day(10, 8), survey="nps", score=2, band="detractor")
    world.at(_day(10))
    assert len(world.tasks()) == 2
    world.event(detractor, "survey_answered", _day(31, 8), survey="nps", score=3, band="detractor")
    world.at(_day(31))
    assert [t["customer_id"] for t in world.tasks()] == [detractor, orphan, detractor]
    assert len(world.mailbox.received) == 1


ROUTED = """\
survey: nps
rules:
  - name: detractors
    when: {band: [detractor]}
    team: support
"""


def test_nps_survey_asks_by_email_and_a_routed_detractor_gets_one_task(world: World) -> None:
    from tenure.domains.automation import service as playbooks
    from tenure.domains.surveys import answering, routing, teams
    from tenure.domains.surveys import service as surveys

    agent = world.user("Ivy Support", "csm")
    world.user("Cara Success", "csm")
    asked = world.customer("a", name="An Asked", email_consent=False)
    routed = world.customer("r", name="Ro Routed", email_consent=True)
    bare = world.customer("b", name="Bo Bare", email_consent=True)
    with write_transaction(world.store) as conn:
        conn.execute(update(User).where(User.id == agent).values(team="support"))
        surveys.apply(conn, surveys.parse({"key": "nps", "kind": "nps", "title": T}), _day(0))
        teams.put(conn, PERSON, "support", {"lead_id": agent}, _day(0))
        routing.apply(conn, ROUTED, "nps.routing.yaml", _day(0))
    world.publish("nps-survey.yaml", "nps-detractors.yaml")
    with write_transaction(world.store) as conn:
        playbooks.enroll(conn, PERSON, "nps-survey", "a", _day(0, 8))
    world.at(_day(0))
    # the survey by email (a service email: no marketing consent needed), the reminder 3 days on
    assert [s for s, _ in world.mailbox.to("a@customers.test")][0].startswith("How are we doing?")
    world.at(_day(3, 10))
    assert len(world.mailbox.to("a@customers.test")) == 2
    # a detractor whose answer routing gave to support: its follow-up is their only task
    with write_transaction(world.store) as conn:
        invited = surveys.invite(
            conn, survey_key="nps", customer_id=routed, key="r1", now=_day(4, 8),
            settings=world.settings,
        )  # fmt: skip
        answering.answer_invitation(conn, invited.invitation_id, {"score": ["2"]}, "en", _day(4, 8))
    # one whose answer came in with no answer behind it (no routing): the playbook's task
    world.event(bare, "survey_answered", _day(4, 8), survey="nps", score=3, band="detractor")
    world.at(_day(4))
    made = sorted((t["customer_id"], t["title"]) for t in world.tasks())
    assert made == sorted(
        [
            (routed, "Follow up the How are we doing? answer 2 (detractor)"),
            (bare, "Call a detractor"),
        ]
    )
    assert asked not in {t["customer_id"] for t in world.tasks()}


T = {"en": "How are we doing?", "zh": "我们做得怎么样？"}
