"""A loyalty programme as its YAML file says it: currency, earn rules, rewards, expiry.

Amounts of the programme are whole *minor units*: points for a points programme, cents for a
cashback one. Rates are Decimals and every computed amount is rounded down to a whole unit,
so a customer is never credited a fraction and two runs always agree.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from tenure.kit import filters
from tenure.kit.errors import InvalidInput
from tenure.kit.zones import canonical_zone

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# what an earn rule's ``when`` may ask of the order and its customer
ORDER_FIELDS = ("amount", "discount", "channel", "currency", "line_count")
CUSTOMER_FIELDS = (
    "customer_country",
    "customer_region",
    "customer_city",
    "customer_acquisition_channel",
    "customer_industry",
)
LINE_FIELDS = ("category", "product_id", "product_name", "quantity", "unit_price", "line_amount")


class Currency(StrEnum):
    """What the ledger counts."""

    POINTS = "points"
    CASHBACK = "cashback"  # money kept for the customer, in cents


class Strict(BaseModel):
    """A part of the file: unknown keys are mistakes, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _key(value: str) -> str:
    if not KEY.match(value):
        raise ValueError("use lower-case letters, digits, '-' and '_' (at most 64)")
    return value


Key = Annotated[str, AfterValidator(_key)]


def _tree(tree: dict[str, Any] | None, fields: tuple[str, ...]) -> dict[str, Any] | None:
    if tree is not None:
        filters.check(tree, dict.fromkeys(fields))
    return tree


class EarnRule(Strict):
    """Points an order earns: ``per_unit`` per 1.00 of the base, plus ``per_order``.

    The base is the order's amount, or with ``lines`` the amount of the lines that match
    (quantity × unit price), so a rule can reward one category only.
    """

    key: Key
    when: dict[str, Any] | None = None  # a filter tree on the order and its customer
    lines: dict[str, Any] | None = None  # a filter tree on the order's lines
    per_unit: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=4)
    per_order: int = Field(default=0, ge=0)
    min_amount: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=2)
    multipliers: dict[str, Decimal] = Field(default_factory=dict)  # tier key -> factor
    cap_day: int | None = Field(default=None, gt=0)  # at most this much a customer's day
    cap_month: int | None = Field(default=None, gt=0)

    @field_validator("when")
    @classmethod
    def _check_when(cls, tree: dict[str, Any] | None) -> dict[str, Any] | None:
        return _tree(tree, ORDER_FIELDS + CUSTOMER_FIELDS)

    @field_validator("lines")
    @classmethod
    def _check_lines(cls, tree: dict[str, Any] | None) -> dict[str, Any] | None:
        return _tree(tree, LINE_FIELDS)

    @field_validator("multipliers")
    @classmethod
    def _check_multipliers(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for tier, factor in value.items():
            if factor < 0:
                raise ValueError(f"{tier}: a multiplier is at least 0")
        return value

    @model_validator(mode="after")
    def _earns_something(self) -> EarnRule:
        if self.per_unit == 0 and self.per_order == 0:
            raise ValueError("give per_unit or per_order (or both): this rule earns nothing")
        return self


class Reward(Strict):
    """Something a member can redeem, priced in the programme's units."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    price: int = Field(gt=0)


class Referral(Strict):
    """What a referral is worth, once the friend's first paid order is past the return window.

    A referrer with more than ``review_after`` referrals in seven days waits in the review
    list, as do friends whose email looks like the referrer's or who share their contact.
    """

    referrer_points: int = Field(gt=0)
    friend_points: int = Field(default=0, ge=0)
    min_order: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=2)
    review_after: int = Field(default=5, ge=1, le=1000)


class ExpiryPolicy(StrEnum):
    """When points that were not spent run out."""

    NONE = "none"
    LOT_DAYS = "lot_days"  # each lot N days after it became spendable
    END_OF_PERIOD = "end_of_period"  # at the end of the month/quarter/year (+ `after` more)
    INACTIVITY = "inactivity"  # everything, after N days without earning or redeeming


class Expiry(Strict):
    """The expiry policy and its numbers."""

    policy: ExpiryPolicy = ExpiryPolicy.NONE
    days: int | None = Field(default=None, gt=0)
    period: Literal["month", "quarter", "year"] | None = None
    after: int = Field(default=0, ge=0, le=10)  # whole periods after the one earned in

    @model_validator(mode="after")
    def _complete(self) -> Expiry:
        needs_days = self.policy in (ExpiryPolicy.LOT_DAYS, ExpiryPolicy.INACTIVITY)
        if needs_days and self.days is None:
            raise ValueError(f"policy {self.policy.value} needs days")
        if self.policy == ExpiryPolicy.END_OF_PERIOD and self.period is None:
            raise ValueError("policy end_of_period needs period: month, quarter or year")
        return self


class Enrolment(StrEnum):
    """Who is a member: every buyer, or only customers who joined."""

    AUTOMATIC = "automatic"  # a customer's first paid order opens their account
    OPT_IN = "opt_in"  # only customers who joined earn, on orders from the moment they joined


class TierMetric(StrEnum):
    """What qualifies a member for a tier."""

    POINTS = "points"  # points earned (net of refunds) in the window
    SPEND = "spend"  # money of paid orders in the window
    ORDERS = "orders"  # paid orders in the window


class TierWindow(StrEnum):
    """Over which days the metric counts, as of the review's day."""

    LIFETIME = "lifetime"
    CALENDAR_YEAR = "calendar_year"  # from 1 January of the review's year
    ROLLING_12_MONTHS = "rolling_12_months"  # the review's day and the 12 months before


class Tier(Strict):
    """One level: reached at ``enter``, kept while the metric stays at ``retain`` or more."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    enter: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    retain: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)

    @model_validator(mode="after")
    def _retain_at_most_enter(self) -> Tier:
        if self.retain is not None and self.retain > self.enter:
            raise ValueError(f"retain ({self.retain}) is at most enter ({self.enter})")
        return self

    @property
    def keep(self) -> Decimal:
        """The metric a member needs to stay (retain, else enter)."""
        return self.enter if self.retain is None else self.retain


class Tiers(Strict):
    """Member tiers, reviewed in each scoring run as of its day (lowest level first)."""

    metric: TierMetric = TierMetric.POINTS
    window: TierWindow = TierWindow.LIFETIME
    term_months: int = Field(default=0, ge=0, le=120)  # a tier entered is kept this long
    grace_days: int = Field(default=0, ge=0, le=3650)  # below retain this long before a drop
    one_step_down: bool = False  # a review drops at most one level
    levels: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> Tiers:
        seen: set[str] = set()
        for i, tier in enumerate(self.levels):
            if tier.key in seen:
                raise ValueError(f"levels[{i}] repeats the key {tier.key!r}")
            seen.add(tier.key)
            if i and tier.enter <= self.levels[i - 1].enter:
                raise ValueError(
                    f"levels[{i}] ({tier.key}): enter must be above the level before "
                    f"({self.levels[i - 1].key}, {self.levels[i - 1].enter}); "
                    "list levels lowest first"
                )
        return self

    def index(self, key: str | None) -> int:
        """Return the level's position (-1: no tier, or a tier no longer defined)."""
        return next((i for i, t in enumerate(self.levels) if t.key == key), -1)


class MilestoneKind(StrEnum):
    """What a member reaches to be awarded a milestone."""

    NTH_ORDER = "nth_order"  # their n-th paid order (once)
    SPEND = "spend"  # paid orders adding up to ``amount`` (once)
    ANNIVERSARY = "anniversary"  # each year of their first paid order (once a year)
    BIRTHDAY = "birthday"  # each birthday (once a year)


class Milestone(Strict):
    """A one-time award: ``points`` when a member reaches it, keyed per member (and year)."""

    key: Key
    kind: MilestoneKind
    points: int = Field(gt=0)
    n: int | None = Field(default=None, ge=1)
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)

    @model_validator(mode="after")
    def _complete(self) -> Milestone:
        if self.kind == MilestoneKind.NTH_ORDER and self.n is None:
            raise ValueError("kind nth_order needs n (the order's number, e.g. 3)")
        if self.kind == MilestoneKind.SPEND and self.amount is None:
            raise ValueError("kind spend needs amount (money spent in all, e.g. 1000)")
        return self


class Programme(Strict):
    """A whole programme file."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    currency: Currency = Currency.POINTS
    enrolment: Enrolment = Enrolment.AUTOMATIC
    money: str = Field(default="USD", pattern=r"^[A-Z]{3}$")  # the shop's currency
    # what one unit is worth in money (liability = units × this); cashback: always 0.01
    unit_value: Decimal = Field(default=Decimal("0.01"), gt=0, max_digits=12, decimal_places=6)
    pending_days: int = Field(default=0, ge=0, le=365)  # the return window
    timezone: str = "UTC"  # what a day and a month are, for caps and period ends
    starts_on: date | None = None  # orders before this day earn nothing
    expiry: Expiry = Field(default_factory=Expiry)
    earn: list[EarnRule] = Field(default_factory=list)
    rewards: list[Reward] = Field(default_factory=list)
    referral: Referral | None = None  # none: the programme does not reward referrals
    tiers: Tiers | None = None
    milestones: list[Milestone] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        found = canonical_zone(value)
        if found is None:
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)")
        return found

    @model_validator(mode="after")
    def _consistent(self) -> Programme:
        if self.currency == Currency.CASHBACK and self.unit_value != Decimal("0.01"):
            raise ValueError("a cashback programme counts cents: unit_value is 0.01")
        for name, keys in (
            ("earn", [r.key for r in self.earn]),
            ("rewards", [r.key for r in self.rewards]),
            ("milestones", [m.key for m in self.milestones]),
        ):
            seen: set[str] = set()
            for i, key in enumerate(keys):
                if key in seen:
                    raise ValueError(f"{name}[{i}] repeats the key {key!r}")
                seen.add(key)
        if self.tiers is not None:
            known = {t.key for t in self.tiers.levels}
            for rule in self.earn:
                unknown = sorted(set(rule.multipliers) - known)
                if unknown:
                    raise ValueError(
                        f"earn rule {rule.key}: multipliers name no tier: {', '.join(unknown)} "
                        f"(tiers: {', '.join(sorted(known))})"
                    )
        return self

    def to_units(self, text: str, field: str = "amount") -> int:
        """Read an amount a person typed: whole points, or money (1.25) for cashback."""
        try:
            value = Decimal(text.strip())
        except ArithmeticError:
            raise InvalidInput(f"{field}: {text!r} is not a number") from None
        units = value * 100 if self.currency == Currency.CASHBACK else value
        if not units.is_finite() or units != units.to_integral_value():
            whole = "whole cents" if self.currency == Currency.CASHBACK else "whole points"
            raise InvalidInput(f"{field}: {text!r} is not in {whole}")
        return int(units)

    def show(self, units: int) -> str:
        """Write an amount of the programme's units for a person (points, or money)."""
        if self.currency == Currency.CASHBACK:
            return f"{Decimal(units).scaleb(-2):,.2f} {self.money}"
        return f"{units:,}"

    @property
    def opt_in(self) -> bool:
        """Tell whether only customers who joined are members."""
        return self.enrolment == Enrolment.OPT_IN

    def reward(self, key: str) -> Reward | None:
        """Return the reward called ``key``, if the programme has one."""
        return next((r for r in self.rewards if r.key == key), None)
