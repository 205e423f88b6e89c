"""Route survey answers to the team that acts: ordered rules, the first that matches wins.

A routing file (YAML, beside the survey's own file, e.g. ``surveys/nps.routing.yaml``) names
the survey whose answers it routes (``*``: every survey without a file of its own) and its
rules, in order::

    survey: nps
    rules:
      - name: billing-words
        when: {keywords: [invoice, refund, 发票], band: [detractor]}
        team: billing
        sla_hours: 24
      - name: detractors
        when: {band: [detractor]}
        team: support
        assign: owner
        check: {survey: resolved, template: survey-resolved}

Every condition of a rule's ``when`` must hold (none: it matches every answer): ``topic``
(the answer to the question ``topic``), ``keywords`` (any of them in the answer's text,
case aside), ``band``, ``score`` (``min`` / ``max``), the customer's ``stage``, ``segment``
(a saved segment's name) and ``owner`` (the owner's email). The action is a task for the
team: round-robin among its members or the customer's owner (``assign``, else the team's),
due in ``sla_hours`` (else the team's). ``check``: closing the follow-up may send that
survey ("did we resolve it?"); a poor answer reopens the task.

A file with a mistake is refused whole, each mistake named by file, line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Connection, insert, select, update

from tenure.domains.automation.loading import Mistake, line_of
from tenure.domains.customers.models import Customer
from tenure.domains.lifecycle.models import StageHistory
from tenure.domains.segments.models import Segment, SegmentMember
from tenure.domains.surveys import repository, teams
from tenure.domains.surveys.definition import Key
from tenure.domains.surveys.models import SurveyRouting
from tenure.domains.users.models import User
from tenure.kit.errors import InvalidInput
from tenure.storage.rows import plain_row

Word = Annotated[str, StringConstraints(min_length=1, max_length=100)]
EVERY = "*"
Band = Literal["promoter", "passive", "detractor", "satisfied", "neutral", "unsatisfied"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreBand(_Strict):
    """A score from ``min`` to ``max``, both included."""

    min: float | None = None
    max: float | None = None


class When(_Strict):
    """What an answer (and its customer) must show for a rule to match; all must hold."""

    topic: list[Word] | None = None
    keywords: list[Word] | None = None
    band: list[Band] | None = None
    score: ScoreBand | None = None
    stage: list[Word] | None = None
    segment: list[Word] | None = None
    owner: list[Word] | None = None


class Check(_Strict):
    """The "did we resolve it?" survey closing a follow-up may send, and its email template."""

    survey: Key
    template: Word | None = None


class Rule(_Strict):
    """One routing rule: when it matches, a task for ``team``."""

    name: Key
    when: When = Field(default_factory=When)
    team: Key
    assign: Literal["round_robin", "owner"] | None = None
    sla_hours: int | None = Field(default=None, ge=1, le=teams.MAX_SLA_HOURS)
    check: Check | None = None


class Routing(_Strict):
    """A routing file: the survey (or ``*``) and its ordered rules."""

    survey: Annotated[str, StringConstraints(pattern=r"^(\*|[a-z0-9][a-z0-9_-]{0,62})$")]
    rules: list[Rule] = Field(min_length=1, max_length=200)


class RoutingInvalid(InvalidInput):
    """A routing file that cannot be used; ``mistakes`` lists each with its line."""

    def __init__(self, mistakes: Sequence[Mistake]) -> None:
        self.mistakes = list(mistakes)
        super().__init__("\n".join(m.describe() for m in self.mistakes))


def _field(path: Sequence[int | str]) -> str:
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return shown


def parse(text: str, file: str) -> Routing:
    """Check a routing file's YAML; raise ``RoutingInvalid`` naming each mistake's line."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise RoutingInvalid([Mistake(file, line, "", f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise RoutingInvalid([Mistake(file, 1, "", "a routing file is a mapping: survey, rules")])
    try:
        routing = Routing.model_validate(data)
    except ValidationError as exc:
        mistakes = []
        for error in exc.errors(include_url=False):
            path = [p for p in error["loc"] if isinstance(p, int | str)]
            path = [p for p in path if not (isinstance(p, str) and "[" in p)]
            message = error["msg"].removeprefix("Value error, ")
            mistakes.append(Mistake(file, line_of(text, path), _field(path), message))
        raise RoutingInvalid(mistakes) from None
    mistakes = []
    seen: set[str] = set()
    for i, rule in enumerate(routing.rules):
        if rule.name in seen:
            where: list[int | str] = ["rules", i, "name"]
            mistakes.append(
                Mistake(file, line_of(text, where), _field(where), f"{rule.name!r} comes twice")
            )
        seen.add(rule.name)
    if mistakes:
        raise RoutingInvalid(mistakes)
    return routing


def _against_store(conn: Connection, routing: Routing, text: str, file: str) -> None:
    """Refuse a routing that names a survey, team or segment the store does not have."""
    mistakes = []

    def wrong(path: list[int | str], message: str) -> None:
        mistakes.append(Mistake(file, line_of(text, path), _field(path), message))

    if routing.survey != EVERY and repository.survey_by_key(conn, routing.survey) is None:
        wrong(["survey"], f"no survey {routing.survey!r}")
    segments = set(conn.execute(select(Segment.name)).scalars())
    for i, rule in enumerate(routing.rules):
        if teams.find(conn, rule.team) is None:
            wrong(["rules", i, "team"], f"no team {rule.team!r} (tenure surveys team-set)")
        if rule.check is not None and repository.survey_by_key(conn, rule.check.survey) is None:
            wrong(["rules", i, "check", "survey"], f"no survey {rule.check.survey!r}")
        for j, name in enumerate(rule.when.segment or []):
            if name not in segments:
                wrong(["rules", i, "when", "segment", j], f"no segment {name!r}")
    if mistakes:
        raise RoutingInvalid(mistakes)


def apply(conn: Connection, text: str, file: str, now: datetime) -> Routing:
    """Check a routing file (also against the store) and keep it for its survey."""
    routing = parse(text, file)
    _against_store(conn, routing, text, file)
    values = {
        "rules": [r.model_dump(mode="json", exclude_none=True) for r in routing.rules],
        "source": text,
        "file": file[-300:],
        "updated_at": now,
    }
    found = conn.execute(
        select(SurveyRouting.id).where(SurveyRouting.survey == routing.survey)
    ).scalar_one_or_none()
    if found is None:
        conn.execute(insert(SurveyRouting).values(survey=routing.survey, **values))
    else:
        conn.execute(update(SurveyRouting).where(SurveyRouting.id == found).values(values))
    return routing


def rules_for(conn: Connection, survey_key: str) -> list[Rule]:
    """Return the rules routing a survey's answers: its own file's, else the ``*`` file's."""
    rows = {
        str(r["survey"]): r
        for r in conn.execute(
            select(SurveyRouting.survey, SurveyRouting.rules).where(
                SurveyRouting.survey.in_([survey_key, EVERY])
            )
        ).mappings()
    }
    row = rows.get(survey_key) or rows.get(EVERY)
    return [] if row is None else [Rule.model_validate(r) for r in row["rules"]]


def routings(conn: Connection) -> list[dict[str, Any]]:
    """Return every stored routing: survey, file, rules."""
    query = select(SurveyRouting.__table__).order_by(SurveyRouting.survey)
    return [plain_row(r) for r in conn.execute(query).mappings()]


@dataclass(frozen=True)
class Facts:
    """What the rules read of one answer and its customer."""

    topic: str | None
    text: str
    band: str | None
    score: float | None
    stage: str | None
    segments: frozenset[str]
    owner_email: str | None


def facts(conn: Connection, answer: dict[str, Any]) -> Facts:
    """Gather what the rules read: the answer's topic, text, band, score; the customer's."""
    values = answer["answers"] or {}
    texts = [v for v in values.values() if isinstance(v, str)]
    if answer.get("comment"):
        texts.append(str(answer["comment"]))
    topic = values.get("topic")
    customer_id = int(answer["customer_id"])
    stage = conn.execute(
        select(StageHistory.stage)
        .where(StageHistory.customer_id == customer_id)
        .order_by(StageHistory.run_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    segments = frozenset(
        conn.execute(
            select(Segment.name)
            .join(SegmentMember, SegmentMember.segment_id == Segment.id)
            .where(SegmentMember.customer_id == customer_id)
        ).scalars()
    )
    owner = conn.execute(
        select(User.email)
        .join(Customer, Customer.owner_id == User.id)
        .where(Customer.id == customer_id)
    ).scalar_one_or_none()
    return Facts(
        topic=topic if isinstance(topic, str) else None,
        text="\n".join(texts).casefold(),
        band=answer.get("band"),
        score=answer.get("score"),
        stage=stage,
        segments=segments,
        owner_email=owner.casefold() if owner else None,
    )


def matches(when: When, seen: Facts) -> bool:
    """Return whether every condition of ``when`` holds for the answer."""
    checks = [
        when.topic is None or seen.topic in when.topic,
        when.keywords is None or any(k.casefold() in seen.text for k in when.keywords),
        when.band is None or seen.band in when.band,
        when.stage is None or seen.stage in when.stage,
        when.segment is None or bool(seen.segments & set(when.segment)),
        when.owner is None
        or (
            seen.owner_email is not None and seen.owner_email in {o.casefold() for o in when.owner}
        ),
    ]
    if when.score is not None:
        low, high = when.score.min, when.score.max
        checks.append(
            seen.score is not None
            and (low is None or seen.score >= low)
            and (high is None or seen.score <= high)
        )
    return all(checks)


def first_match(rules: Sequence[Rule], seen: Facts) -> Rule | None:
    """Return the first rule that matches, or None."""
    return next((r for r in rules if matches(r.when, seen)), None)
