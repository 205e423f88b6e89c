"""What a playbook file says: trigger → conditions → steps, goal and enrollment policy.

A playbook is declarative data a marketer or a customer-success lead writes in YAML
(``playbooks/*.yaml``; docs/playbooks.md). These pydantic models are its grammar: they refuse
an unknown key, a step pointing at a step that does not exist or a filter on an unknown field,
and ``tenure playbooks apply`` names the file, line and field of each mistake (``loading.py``).
The JSON Schema editors use comes from the same models (``json_schema``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tenure.analytics.stages import STAGES
from tenure.domains.segments import fields
from tenure.domains.users.models import Role
from tenure.kit import filters
from tenure.kit.errors import InvalidInput
from tenure.kit.zones import check_zone

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
StageName = Literal["potential", "new", "growing", "mature", "declining", "churned", "won_back"]
if set(get_args(StageName)) != set(STAGES):  # one list of stages, checked at import
    raise RuntimeError("StageName and analytics.stages.STAGES disagree")
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class Strict(BaseModel):
    """A part of a playbook: unknown keys are mistakes, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(Strict):
    """A text in both languages (one given alone serves both)."""

    en: Text | None = None
    zh: Text | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> Words:
        if self.en is None and self.zh is None:
            raise ValueError("give the text in en, zh or both")
        return self


def _condition(tree: dict[str, Any] | None) -> dict[str, Any] | None:
    """Check a filter tree against the fields a condition may name (segments' fields)."""
    if tree is None:
        return None
    try:
        filters.check(tree, filters.kinds(fields.filterable()))
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a filter tree: {exc}") from None
    return tree


Condition = Annotated[dict[str, Any], Field(description="A filter tree (docs/segments.md).")]


# Triggers: what enrolls a customer. Exactly one key per trigger.


class StageEntered(Strict):
    """The customer entered one of ``to`` (from one of ``from``, if given)."""

    to: list[StageName] = Field(min_length=1)
    from_: list[StageName] | None = Field(default=None, alias="from")


class ScoreCrossed(Strict):
    """A score went above or below a line, or a band became one of ``becomes``."""

    score: Literal[
        "churn_risk", "p_alive", "clv", "lead_score", "health_score", "health_band", "lead_band"
    ]
    above: float | None = None
    below: float | None = None
    becomes: list[str] | None = None

    @model_validator(mode="after")
    def _one_line(self) -> ScoreCrossed:
        given = [x for x in (self.above, self.below, self.becomes) if x is not None]
        if len(given) != 1:
            raise ValueError("give one of above, below (a number) or becomes (bands)")
        if self.score.endswith("_band") and self.becomes is None:
            raise ValueError(f"{self.score} is a band: use becomes, e.g. [red]")
        if not self.score.endswith("_band") and self.becomes is not None:
            raise ValueError(f"{self.score} is a number: use above or below")
        return self


class CrossSellDue(Strict):
    """The customer's offer of ``item`` (docs/cross-sell.md) became due on a run's day."""

    item: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S(?:.*\S)?$")
    ] = Field(description="The item B: a product id, or a category at level category.")
    level: Literal["product", "category"] = "product"


class EventReceived(Strict):
    """An event of ``type`` arrived (imported, streamed or written by Tenure)."""

    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    properties: dict[str, Any] | None = Field(
        default=None, description="Each property must equal the value given."
    )


class Inactive(Strict):
    """No event of ``kinds`` (any kind if empty) for ``days`` days."""

    days: int = Field(ge=1, le=3650)
    kinds: list[str] = Field(default_factory=list)


class DateReached(Strict):
    """A yearly or contractual date: a birthday, the first order's anniversary, a renewal."""

    date: Literal["birthday", "first_order_anniversary", "renewal"]
    days_before: int = Field(default=0, ge=0, le=365)


class SegmentChange(Strict):
    """The customer entered or left a saved segment."""

    entered: Name | None = None
    left: Name | None = None

    @model_validator(mode="after")
    def _one(self) -> SegmentChange:
        if (self.entered is None) == (self.left is None):
            raise ValueError("give entered or left (a segment's name)")
        return self


class SurveyAnswered(Strict):
    """An answer to ``survey`` with a score in [min, max]."""

    survey: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "nps"
    min: float | None = None
    max: float | None = None


class TaskCompleted(Strict):
    """A task was completed: of ``playbook``, with ``outcome`` and ``root_cause``, if given."""

    playbook: Name | None = None
    outcome: str | None = None
    root_cause: Literal["product", "service", "price", "other"] | None = Field(
        default=None, description="Only a task completed with this root cause."
    )


class TierChanged(Strict):
    """A loyalty tier review moved the customer (to ``to``, from ``from``, up or down)."""

    programme: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    to: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, description="Only a move into one of these tiers."
    )
    from_: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, alias="from", description="Only a move out of one of these tiers."
    )
    direction: Literal["up", "down"] | None = Field(
        default=None, description="Only a move up (entered a higher tier) or down."
    )


class Trigger(Strict):
    """What enrolls a customer: exactly one of the kinds below."""

    stage_entered: StageEntered | None = None
    score_crossed: ScoreCrossed | None = None
    cross_sell_due: CrossSellDue | None = None
    event: EventReceived | None = None
    inactive: Inactive | None = None
    date: DateReached | None = None
    segment: SegmentChange | None = None
    survey_answered: SurveyAnswered | None = None
    task_completed: TaskCompleted | None = None
    tier_changed: TierChanged | None = None
    manual: Literal[True] | None = Field(
        default=None, description="Only people and API clients enroll (tenure playbooks enroll)."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            kinds = ", ".join(type(self).model_fields)
            raise ValueError(f"a trigger is exactly one of {kinds}; got {len(given)}")
        return self

    @property
    def kind(self) -> str:
        """The trigger's kind (its one key)."""
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)


# Steps: what a playbook does. Each step has an id and exactly one action.


class SendEmail(Strict):
    """Send the email ``template`` (templates/<name>.<lang>.liquid)."""

    template: Name
    category: Literal["marketing", "service"] | None = Field(
        default=None,
        description="marketing (capped, kept to the send window) or service. Default: the "
        "playbook's kind.",
    )
    send_window: bool | None = Field(
        default=None,
        description="Keep to the send window (messaging.send_window_*) in the customer's time "
        "zone. Default: marketing email does, service email goes at once.",
    )

    def category_in(self, kind: str) -> str:
        """Return the email's category in a playbook of ``kind``: the step's own, else the kind."""
        return self.category or kind


class SendSurvey(Strict):
    """Invite the customer to ``survey`` by email: ``template`` with their personal link.

    The survey's sample and cooldowns decide whether they are asked (docs/surveys.md); a
    customer held back gets no email, and the step says why. Reminders are ordinary steps:
    a wait, then send_survey again (the same link while it lasts, within the cooldown).
    """

    survey: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    template: Name = "survey-invitation"
    category: Literal["marketing", "service"] | None = Field(
        default=None, description="As for send_email. Default: the playbook's kind."
    )
    send_window: bool | None = Field(default=None, description="As for send_email.")

    def category_in(self, kind: str) -> str:
        """Return the email's category in a playbook of ``kind``: the step's own, else the kind."""
        return self.category or kind


class Assignee(Strict):
    """Who gets a task: the customer's owner, a role, or round-robin among a team."""

    to: Literal["owner", "role", "team"] = "owner"
    role: Role | None = None
    team: Name | None = None
    fallback: Role | None = Field(
        default=Role.MANAGER, description="Who gets it when the first choice has nobody."
    )

    @model_validator(mode="after")
    def _named(self) -> Assignee:
        if self.to == "role" and self.role is None:
            raise ValueError("to: role needs the role, e.g. {to: role, role: csm}")
        if self.to == "team" and self.team is None:
            raise ValueError("to: team needs the team, e.g. {to: team, team: success}")
        return self


class CreateTask(Strict):
    """A task for a person, with checklist steps and a due day."""

    title: Words
    description: Words | None = None
    checklist: list[Words] = Field(default_factory=list)
    due_in_days: int = Field(default=1, ge=0, le=365)
    assignee: Assignee = Field(default_factory=Assignee)
    requires_root_cause: bool = Field(
        default=False,
        description="Completing it asks for the root cause: product, service, price or other.",
    )
    unless_routed: bool = Field(
        default=False,
        description="No task when the answer that enrolled the customer was routed to a team "
        "already (a survey follow-up, docs/surveys.md): one task per answer, not two.",
    )


class Webhook(Strict):
    """POST the enrollment and customer to ``url`` (Standard Webhooks signature, retries)."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2000)]


class WaitFor(Strict):
    """Wait until an event of ``types`` arrives, at most ``days``; each outcome has its way."""

    types: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1
    )
    days: int = Field(ge=1, le=365)
    arrived: Name | None = Field(
        default=None, description="The step after the event (default: next)."
    )
    timed_out: Name | None = Field(
        default=None, description="The step after the wait (default: next)."
    )


class AwardPoints(Strict):
    """Credit points in a loyalty programme (docs/loyalty.md), once per step run."""

    programme: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=10_000_000)  # whole units: points, or cents of cashback
    reason: str | None = Field(default=None, max_length=200)


class Wait(Strict):
    """Wait ``days`` and ``hours``, or until the next ``weekday`` at ``hour`` (customer time)."""

    days: int = Field(default=0, ge=0, le=365)
    hours: int = Field(default=0, ge=0, le=23)
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    hour: int | None = Field(default=None, ge=0, le=23)

    @model_validator(mode="after")
    def _something(self) -> Wait:
        if not (self.days or self.hours or self.weekday or self.hour is not None):
            raise ValueError("wait how long? give days, hours, or weekday and hour")
        return self


class Branch(Strict):
    """Go to ``then`` if the condition holds for the customer now, else to ``else``."""

    if_: Condition = Field(alias="if")
    then: Name
    else_: Name | None = Field(default=None, alias="else")

    _check = field_validator("if_")(_condition)


class Share(Strict):
    """One way of a random split."""

    share: float = Field(gt=0, le=1)
    go: Name


# What a set_fields step may change: the customer's descriptive fields, each with its longest
# value. Never consent (email_consent, sms_consent: the customer's own choice, changed by the
# unsubscribe link or a person), never the address, never an id (id, external_id, owner_id).
SETTABLE_FIELDS: dict[str, int] = {
    "company": 200,
    "industry": 100,
    "company_size": 32,
    "region": 100,
    "country": 100,
    "city": 100,
    "timezone": 64,
    "gender": 32,
    "acquisition_channel": 64,
}


def settable_mistakes(values: dict[str, Any]) -> list[str]:
    """Return what is wrong with a set_fields step's fields; each message starts with the field."""
    mistakes = []
    allowed = ", ".join(SETTABLE_FIELDS)
    for key, value in values.items():
        longest = SETTABLE_FIELDS.get(key)
        if longest is None:
            mistakes.append(
                f"{key}: a playbook may not set this field (consent, email and ids are never "
                f"set by a playbook); it may set {allowed}"
            )
        elif value is not None and not isinstance(value, str):
            mistakes.append(f"{key}: give a text (or null), not {type(value).__name__}")
        elif value is not None and len(value) > longest:
            mistakes.append(f"{key}: at most {longest} characters")
        elif key == "timezone" and value is not None:
            try:
                check_zone(value, key)
            except InvalidInput as exc:
                mistakes.append(exc.message)
    return mistakes


class Step(Strict):
    """One step: an ``id`` other steps may point at, and exactly one action."""

    id: Name | None = None
    send_email: SendEmail | None = None
    send_survey: SendSurvey | None = None
    create_task: CreateTask | None = None
    set_fields: dict[str, Any] | None = None
    add_tags: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = None
    remove_tags: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = None
    webhook: Webhook | None = None
    award_points: AwardPoints | None = None
    wait: Wait | None = None
    wait_for: WaitFor | None = None
    branch: Branch | None = None
    split: list[Share] | None = None
    exit: Literal[True] | None = None

    @field_validator("set_fields")
    @classmethod
    def _settable(cls, values: dict[str, Any] | None, info: ValidationInfo) -> Any:
        # checked when a playbook is published, not when a stored version is read back
        if values is None or not (info.context or {}).get("publishing"):
            return values
        mistakes = settable_mistakes(values)
        if mistakes:
            raise ValueError("; ".join(mistakes))
        return values

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        kinds = [n for n in ACTIONS if getattr(self, n) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a step is exactly one of {', '.join(ACTIONS)}; got {len(kinds)}")
        if self.split is not None and abs(sum(s.share for s in self.split) - 1) > 1e-9:
            raise ValueError("the shares of a split add up to 1")
        return self

    @property
    def action(self) -> str:
        """The step's kind (its one action key)."""
        return next(n for n in ACTIONS if getattr(self, n) is not None)

    def targets(self) -> list[str]:
        """Return the ids of the steps this one may go to besides the next."""
        if self.branch is not None:
            return [t for t in (self.branch.then, self.branch.else_) if t]
        if self.wait_for is not None:
            return [t for t in (self.wait_for.arrived, self.wait_for.timed_out) if t]
        if self.split is not None:
            return [s.go for s in self.split]
        return []


ACTIONS = (
    "send_email",
    "send_survey",
    "create_task",
    "set_fields",
    "add_tags",
    "remove_tags",
    "webhook",
    "award_points",
    "wait",
    "wait_for",
    "branch",
    "split",
    "exit",
)


class Goal(Strict):
    """What counts as success and ends the enrollment: a purchase, an event or a condition."""

    within_days: int = Field(ge=1, le=730)
    purchase: Literal[True] | None = None
    event: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    condition: Condition | None = None

    _check = field_validator("condition")(_condition)

    @model_validator(mode="after")
    def _one(self) -> Goal:
        given = [x for x in (self.purchase, self.event, self.condition) if x is not None]
        if len(given) != 1:
            raise ValueError("a goal is one of purchase, event or condition")
        return self


class Enrollment(Strict):
    """Who may enter, how often, and who is held out for measuring."""

    again_after_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Enroll again after this many days (default: once).",
    )
    holdout: float = Field(
        default=0.1, ge=0, le=0.9, description="Share of enrollments that get no step (measuring)."
    )
    suppress_segment: Name | None = Field(
        default=None, description="Customers in this saved segment never enter."
    )
    exit_when_condition_fails: bool = Field(
        default=True,
        description="Check the conditions before each step too; exit (reason: condition no "
        "longer holds) when they fail. false: checked at entry only.",
    )


PRIMARY_METRICS = (
    "goal_rate",
    "revenue_per_customer",
    "margin_per_customer",
    "still_active_30d",
    "still_active_90d",
)
PrimaryMetric = Literal[
    "goal_rate",
    "revenue_per_customer",
    "margin_per_customer",
    "still_active_30d",
    "still_active_90d",
]
if set(get_args(PrimaryMetric)) != set(PRIMARY_METRICS):  # one list, checked at import
    raise RuntimeError("PrimaryMetric and PRIMARY_METRICS disagree")


class Measure(Strict):
    """How the playbook's effect is judged: one primary metric, chosen before the data comes.

    The report marks it and shows every other figure as exploratory, so nobody picks, after
    the fact, whichever of many figures happened to clear its interval.
    """

    primary: PrimaryMetric | None = Field(
        default=None,
        description="The one figure that says whether the playbook works: goal_rate, "
        "revenue_per_customer, margin_per_customer, still_active_30d or still_active_90d. "
        "Default: goal_rate with a goal, else revenue_per_customer.",
    )
    window_days: int | None = Field(
        default=None,
        ge=1,
        le=730,
        description="Days after enrollment to count revenue and margin (default: the goal's "
        "within_days, else 30).",
    )


class Playbook(Strict):
    """A whole playbook, as its file states it."""

    name: Name
    title: Words
    description: Words | None = None
    kind: Literal["marketing", "service"] = Field(
        default="marketing",
        description="Marketing emails count against the frequency cap; service ones do not.",
    )
    priority: int = Field(
        default=50,
        ge=0,
        le=100,
        description="Under the frequency cap, a marketing email of a higher-priority playbook "
        "displaces a still-queued one of a lower; equal priorities: first come, first served.",
    )
    trigger: list[Trigger] = Field(
        min_length=1, description="One trigger, or a list: any of them enrolls."
    )
    conditions: Condition | None = None
    enrollment: Enrollment = Field(default_factory=Enrollment)
    goal: Goal | None = None
    measure: Measure = Field(default_factory=Measure)
    steps: list[Step] = Field(min_length=1)

    _check = field_validator("conditions")(_condition)

    @field_validator("measure")
    @classmethod
    def _measurable(cls, measure: Measure, info: ValidationInfo) -> Measure:
        # a goal that failed its own checks is missing from info.data: said once, there
        if measure.primary == "goal_rate" and "goal" in info.data and info.data["goal"] is None:
            raise ValueError(
                "primary: goal_rate needs a goal; declare one, or choose revenue_per_customer, "
                "margin_per_customer, still_active_30d or still_active_90d"
            )
        return measure

    @property
    def primary_metric(self) -> str:
        """The metric that decides: the declared one, else the goal rate, else revenue."""
        if self.measure.primary is not None:
            return self.measure.primary
        return "goal_rate" if self.goal is not None else "revenue_per_customer"

    @field_validator("trigger", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("steps")
    @classmethod
    def _steps_hang_together(cls, steps: list[Step]) -> list[Step]:
        ids = [step.id for step in steps if step.id is not None]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"step ids are unique: {', '.join(twice)} used twice")
        for index, step in enumerate(steps):
            unknown = [t for t in step.targets() if t not in ids]
            if unknown:
                raise ValueError(
                    f"steps[{index}] goes to {', '.join(unknown)}, which no step is called"
                )
        return steps

    def step_ids(self) -> list[str]:
        """Every step's id: its own, or ``step-N`` (1-based) where the file gives none."""
        return [step.id or f"step-{n}" for n, step in enumerate(self.steps, start=1)]


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a playbook file, for editors (docs/playbook.schema.json)."""
    schema = Playbook.model_json_schema(by_alias=True)
    # one trigger may stand alone, without the list around it
    listed = schema["properties"]["trigger"]
    schema["properties"]["trigger"] = {
        "anyOf": [{"$ref": "#/$defs/Trigger"}, listed],
        "description": listed.get("description", ""),
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Tenure playbook"
    return schema
