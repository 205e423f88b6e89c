"""The demo's customers answer its surveys, and its teams work the follow-ups.

Each replayed day, after the worker's ticks (``Listener.day``, at the tick's moment):

1. Every invitation made since is decided once, seeded by the company's seed and the
   invitation: whether the customer answers, when, and what. An NPS invitation is answered by
   about a third — fewer of those about to leave, none truly gone by then — within two days
   of the email or after the reminder; the score follows the hidden truth as the imported
   answers' does (``activity.draw_surveys``): loyal customers (a low true dropout rate) score
   higher, and those about to leave much lower (``true_state``). A detractor may say why, in
   their language, in words the routing rules know (price, product, service).
2. The answer arrives through the public answer page's own code path: the personal link's
   token read back, ``answering.open_link``, and ``answering.answer_invitation`` with the
   page's form values. It is checked, kept, put on the feed and routed as a customer's is.
3. Each follow-up routing made is decided once: closed within its SLA (60%), closed late by
   the lead it was escalated to (15%), or left open (25%), with an outcome and a root cause;
   most closings ask "did we resolve it?". Half of those asked answer; a poor answer (a
   customer about to leave gives more) reopens the task, which is closed again half the time.
4. The overdue follow-ups are handed to their leads (``followups.escalate``, as the worker).

The truth, ``surveys.json`` in the truth folder: each NPS respondent's true state when they
answered, their score, and the NPS by true state (``write_truth``).
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from tenure.demo.feedback import NPS, RESOLVED
from tenure.demo.responses import Lives
from tenure.demo.truth import Truth
from tenure.domains.audit.service import Actor
from tenure.domains.customers.models import Customer
from tenure.domains.surveys import answering, followups, service
from tenure.domains.surveys.models import (
    InvitationStatus,
    Survey,
    SurveyAnswer,
    SurveyFollowup,
    SurveyInvitation,
)
from tenure.domains.tasks.models import Task, TaskStatus
from tenure.kit.settings import Settings

SURVEYS_FILE = "surveys.json"
STATES = ("healthy", "declining", "leaving")  # the order their NPS must keep
LEAVING_DAYS = 180  # truly leaves within this many days of answering: leaving
DECLINING_LIFE_DAYS = 1000  # else a true expected lifetime (1 / dropout rate) below it: declining
ANSWERS = {"healthy": 0.38, "declining": 0.32, "leaving": 0.26}  # the share who answer
SHIFT = {"healthy": 0.0, "declining": -1.0, "leaving": -4.0}  # on the score
POOR_CHECK = {"healthy": 0.15, "declining": 0.3, "leaving": 0.5}  # "resolved?" answered 1–2

# what a detractor says, in English and Chinese, by the root cause it points at
COMPLAINTS = {
    "service": ("Delivery was slow and nobody answered my emails", "送货太慢，邮件也没人回复"),
    "price": ("Too expensive for what you get", "价格太贵了，不值这个钱"),
    "product": ("The quality was not what I expected", "产品质量不如预期"),
}
PRAISE = (
    ("Great service", "服务很好"),
    ("Fast delivery, thank you", "送货很快，谢谢"),
    ("Good value", "物有所值"),
)
TEAM_CAUSE = {"support": "service", "product": "product", "billing": "price", "sales": "other"}


def true_state(person: Person, at: datetime) -> str:
    """Return a customer's true state when answering: leaving soon, likely to, or neither."""
    if person.leaves_at is not None and person.leaves_at - at < timedelta(days=LEAVING_DAYS):
        return "leaving"
    return "declining" if person.life_days < DECLINING_LIFE_DAYS else "healthy"


@dataclass(frozen=True)
class Person:
    """What the truth says of one customer: their id, when they leave, how loyal they are."""

    external_id: str
    leaves_at: datetime | None
    loyalty: float  # z-score of −log(true dropout rate) among the buyers
    life_days: float  # the true expected lifetime: 1 / dropout rate


def people(conn: Connection, truth: Truth) -> dict[int, Person]:
    """Read the truth of every customer, keyed by the store's customer id."""
    ids = dict(conn.execute(select(Customer.external_id, Customer.id)).all())
    frame = truth.customers
    mu = frame["dropout_rate_per_day"].to_numpy()
    buyer = frame["buyer"].to_numpy()
    loyal = -np.log(np.clip(mu, 1e-12, None))
    mean, spread = float(loyal[buyer].mean()), float(loyal[buyer].std()) + 1e-9
    leaves = frame["leaves_at"] if "leaves_at" in frame.columns else None
    found: dict[int, Person] = {}
    for n, external_id in enumerate(frame["customer_id"].to_list()):
        store_id = ids.get(external_id)
        if store_id is None:
            continue
        moment = None if leaves is None else leaves[n]
        found[int(store_id)] = Person(
            str(external_id),
            None if moment is None else _utc(moment),
            (float(loyal[n]) - mean) / spread,
            1.0 / max(float(mu[n]), 1e-12),
        )
    return found


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class Listener:
    """The customers' answers and the teams' work, day by day (see the module's notes)."""

    seed: int
    settings: Settings
    people: dict[int, Person]
    lives: Lives | None = None
    seen_invitation: int = 0  # invitations up to this id are decided
    seen_followup: int = 0
    queue: list[tuple[datetime, int, str, dict[str, Any]]] = field(default_factory=list)
    count: int = 0
    respondents: list[dict[str, Any]] = field(default_factory=list)
    causes: dict[int, str] = field(default_factory=dict)  # answer id → what the comment says

    def day(self, conn: Connection, moment: datetime) -> None:
        """Do what customers and teams did up to ``moment``, then escalate what is overdue."""
        self._new_invitations(conn, moment)
        while self.queue and self.queue[0][0] <= moment:
            at, _, kind, what = heapq.heappop(self.queue)
            if kind == "answer":
                self._answer(conn, at, what)
            else:
                self._close(conn, at, what)
            self._new_followups(conn)
        followups.escalate(conn, moment)

    def _push(self, at: datetime, kind: str, what: dict[str, Any]) -> None:
        self.count += 1
        heapq.heappush(self.queue, (at, self.count, kind, what))

    def _new_invitations(self, conn: Connection, moment: datetime) -> None:
        rows = conn.execute(
            select(
                SurveyInvitation.id,
                SurveyInvitation.customer_id,
                SurveyInvitation.created_at,
                SurveyInvitation.language,
                Survey.key,
            )
            .join(Survey, Survey.id == SurveyInvitation.survey_id)
            .where(
                SurveyInvitation.id > self.seen_invitation,
                SurveyInvitation.status == InvitationStatus.INVITED.value,
                SurveyInvitation.created_at <= moment,
                Survey.key.in_([NPS, RESOLVED]),
            )
            .order_by(SurveyInvitation.id)
        ).all()
        for invitation_id, customer_id, created_at, language, key in rows:
            self.seen_invitation = max(self.seen_invitation, int(invitation_id))
            rng = np.random.default_rng([self.seed, 15, int(invitation_id)])
            person = self.people.get(int(customer_id))
            if person is None:
                continue
            made = {
                "invitation_id": int(invitation_id),
                "customer_id": int(customer_id),
                "language": language,
                "survey": key,
            }
            if key == NPS:
                self._decide_nps(rng, person, _utc(created_at), made)
            else:
                self._decide_check(rng, person, _utc(created_at), made)

    def _decide_nps(
        self, rng: np.random.Generator, person: Person, sent: datetime, made: dict[str, Any]
    ) -> None:
        late = rng.random() < 0.35  # after the reminder, three days on
        at = sent + timedelta(days=3 if late else 0, hours=float(rng.uniform(0.5, 48)))
        if self.lives is not None and self.lives.gone(made["customer_id"], at):
            return
        state = true_state(person, at)
        if rng.random() >= ANSWERS[state]:
            return
        noise = float(rng.normal(0, 1.6))
        score = int(np.clip(np.round(7.6 + 1.1 * person.loyalty + SHIFT[state] + noise), 0, 10))
        comment = ""
        zh = made["language"] == "zh"
        if rng.random() < 0.4:
            if score <= 6:
                cause = str(rng.choice(list(COMPLAINTS), p=[0.45, 0.3, 0.25]))
                comment = COMPLAINTS[cause][int(zh)]
                made["cause"] = cause
            else:
                comment = PRAISE[int(rng.integers(len(PRAISE)))][int(zh)]
        made |= {"score": score, "comment": comment, "state": state}
        self._push(at, "answer", made)

    def _decide_check(
        self, rng: np.random.Generator, person: Person, sent: datetime, made: dict[str, Any]
    ) -> None:
        if rng.random() >= 0.5:
            return
        at = sent + timedelta(hours=float(rng.uniform(0.5, 48)))
        if self.lives is not None and self.lives.gone(made["customer_id"], at):
            return
        state = true_state(person, at)
        poor = rng.random() < POOR_CHECK[state]
        score = int(rng.choice([1, 2])) if poor else int(rng.choice([3, 4, 5], p=[0.2, 0.4, 0.4]))
        self._push(at, "answer", made | {"score": score, "comment": ""})

    def _answer(self, conn: Connection, at: datetime, made: dict[str, Any]) -> None:
        """Answer as the page does: the link's token read back, the form's values."""
        link = service.token(made["invitation_id"], self.settings)
        invitation_id = service.invitation_of_token(link, self.settings)
        opened = answering.open_link(conn, invitation_id, at)
        if invitation_id is None or opened.state != "open" or opened.survey is None:
            return
        form = {"score": [str(made["score"])], "comment": [made["comment"]]}
        raw = {q.id: form.get(q.id, []) for q in opened.survey.spec.questions}
        saved = answering.answer_invitation(conn, invitation_id, raw, made["language"], at)
        if made.get("cause"):
            self.causes[saved.answer_id] = made["cause"]
        if made["survey"] == NPS:
            person = self.people[made["customer_id"]]
            self.respondents.append(
                {
                    "customer_id": person.external_id,
                    "invitation_id": invitation_id,
                    "answer_id": saved.answer_id,
                    "answered_at": at.isoformat(),
                    "score": made["score"],
                    "state": made["state"],
                    "cause": made.get("cause"),
                }
            )

    def _new_followups(self, conn: Connection) -> None:
        rows = conn.execute(
            select(
                SurveyFollowup.id,
                SurveyFollowup.team,
                SurveyFollowup.created_at,
                SurveyFollowup.due_at,
                SurveyFollowup.answer_id,
            )
            .where(SurveyFollowup.id > self.seen_followup)
            .order_by(SurveyFollowup.id)
        ).all()
        for followup_id, team, created_at, due_at, answer_id in rows:
            self.seen_followup = max(self.seen_followup, int(followup_id))
            rng = np.random.default_rng([self.seed, 16, int(followup_id)])
            made, due = _utc(created_at), _utc(due_at)
            fate = rng.random()
            if fate < 0.6:
                at = made + (due - made) * float(rng.uniform(0.1, 0.9))
            elif fate < 0.75:  # after the lead got it
                at = due + timedelta(days=1, hours=float(rng.uniform(0, 48)))
            else:
                continue
            cause = self.causes.get(int(answer_id))
            if cause is None or rng.random() < 0.2:
                cause = TEAM_CAUSE.get(str(team), "other")
            outcome = str(
                rng.choice(["resolved", "contacted", "not_reachable"], p=[0.55, 0.3, 0.15])
            )
            ask = outcome != "not_reachable" and rng.random() < 0.7
            what = {"followup_id": int(followup_id), "outcome": outcome, "cause": cause}
            self._push(at, "close", what | {"ask": ask})

    def _close(self, conn: Connection, at: datetime, what: dict[str, Any]) -> None:
        row = conn.execute(
            select(SurveyFollowup.task_id, SurveyFollowup.reopened, Task.assignee_id, Task.status)
            .join(Task, Task.id == SurveyFollowup.task_id)
            .where(SurveyFollowup.id == what["followup_id"])
        ).one()
        if row.status != TaskStatus.OPEN.value:
            return
        followups.close(
            conn,
            Actor(row.assignee_id, "web"),
            int(row.task_id),
            outcome=what["outcome"],
            root_cause=what["cause"],
            ask=what["ask"],
            now=at,
            settings=self.settings,
        )
        if what["ask"]:  # a poor answer reopens it: then closed again, half the time
            rng = np.random.default_rng([self.seed, 17, what["followup_id"]])
            if rng.random() < 0.5:
                again = at + timedelta(days=float(rng.uniform(2.5, 5)))
                self._push(again, "close", what | {"ask": False, "outcome": "resolved"})


def nps(scores: list[int]) -> float | None:
    """Return the NPS of ``scores``: % promoters (9–10) − % detractors (0–6), or None."""
    if not scores:
        return None
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return 100.0 * (promoters - detractors) / len(scores)


def write_truth(conn: Connection, listener: Listener, folder: Path, until: datetime) -> Path:
    """Write ``surveys.json``: each NPS respondent's true state and score, the NPS by state.

    ``until``: the end of the history; invitations made after it (the worker's last tick,
    today) are not counted — nobody answers them in the simulation.
    """
    invited = conn.execute(
        select(SurveyInvitation.id)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(
            Survey.key == NPS,
            SurveyInvitation.status == InvitationStatus.INVITED.value,
            SurveyInvitation.created_at < until,
        )
    ).all()
    rows = listener.respondents
    by_state = {
        state: {
            "answers": sum(r["state"] == state for r in rows),
            "nps": nps([r["score"] for r in rows if r["state"] == state]),
        }
        for state in STATES
    }
    about = {
        "survey": NPS,
        "until": until.isoformat(),
        "invited": len(invited),
        "answered": len(rows),
        "states": by_state,
        "order": list(STATES),
        "respondents": rows,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SURVEYS_FILE
    path.write_text(json.dumps(about, indent=1) + "\n")
    return path


def summary(conn: Connection) -> dict[str, int]:
    """Count the NPS invitations made, the answers, and the follow-ups (all, still open)."""
    survey_id = conn.execute(select(Survey.id).where(Survey.key == NPS)).scalar_one()
    invited = conn.execute(
        select(func.count())
        .select_from(SurveyInvitation)
        .where(
            SurveyInvitation.survey_id == survey_id,
            SurveyInvitation.status == InvitationStatus.INVITED.value,
        )
    ).scalar_one()
    answered = conn.execute(
        select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.survey_id == survey_id)
    ).scalar_one()
    made = conn.execute(select(func.count()).select_from(SurveyFollowup)).scalar_one()
    still_open = conn.execute(
        select(func.count()).select_from(SurveyFollowup).where(SurveyFollowup.closed_at.is_(None))
    ).scalar_one()
    return {
        "invited": int(invited),
        "answered": int(answered),
        "followups": int(made),
        "open": int(still_open),
    }


def read_truth(folder: Path) -> dict[str, Any] | None:
    """Read ``surveys.json``; None when the demo wrote none."""
    path = folder / SURVEYS_FILE
    if not path.exists():
        return None
    found: dict[str, Any] = json.loads(path.read_text())
    return found
