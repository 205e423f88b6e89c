"""What a playbook changed: its treated customers against its holdout, intent to treat.

Every enrollment counts in the group it was assigned to, whatever its steps did (an exit, a
failure, an email the frequency cap held back). Only enrollments whose measuring window has
closed are compared: counting the still-open ones would favour the early converters.

- The goal rate: a purchase or an event goal is read from orders and events inside each
  enrollment's own window, so an enrollment that exited early still counts a purchase made
  after; a condition goal can only be read from the enrollment's status.
- Revenue per customer over the window (paid orders; customers who bought nothing count 0),
  raw and with CUPED on the same customer's revenue over the window before enrollment; gross
  margin is the business's margin share of it (docs/metrics.md).
- The still-active share 30 and 90 days on (``retention``) and each way of a random split
  (``variants``).
- The sample-ratio check of the whole assignment against the holdout share.
- The playbook's one primary metric (``measure.primary`` in its file); every other figure
  is exploratory. Enrollments of the global control group take no part here (``programme``).

The statistics are ``tenure.analytics.uplift``'s; docs/experiments.md explains each figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, exists, func, select

from tenure.analytics import uplift
from tenure.domains.automation import over_time, retention
from tenure.domains.automation import repository as repo
from tenure.domains.automation.definition import PRIMARY_METRICS, Playbook
from tenure.domains.automation.models import Enrollment, EnrollmentStatus
from tenure.domains.automation.variants import Variant, splits_of, variants
from tenure.domains.events.models import Event
from tenure.domains.orders.models import Order, OrderStatus
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.timeutil import utcnow

# the measuring window of a playbook without a goal
DEFAULT_WINDOW_DAYS = 30
# the smallest difference in goal rate worth detecting, for "enough data yet?"
DETECTABLE_DIFFERENCE = 0.05
# … and in revenue (or margin) per customer: this share of the holdout's
DETECTABLE_REVENUE_SHARE = 0.10


@dataclass(frozen=True)
class Needed:
    """How many measured enrollments the primary metric needs to detect ``difference``.

    ``difference`` is in the metric's own unit: a share (5 points) for the goal rate and the
    still-active shares, money for revenue and margin per customer (10% of the holdout's).
    ``measured``: the enrollments measured for that metric so far (for a still-active share,
    those enrolled at least that many days ago). ``customers`` is None when it cannot be
    worked out yet (no spread in revenue yet, or no holdout).
    """

    metric: str
    difference: float | None
    customers: int | None
    measured: int

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data."""
        return {
            "metric": self.metric,
            "difference": self.difference,
            "customers": self.customers,
            "measured": self.measured,
        }


@dataclass(frozen=True)
class Measured:
    """A playbook's treated against holdout, as of ``as_of``."""

    playbook: str
    as_of: datetime
    holdout_share: float
    window_days: int
    goal: str | None  # purchase, event <type>, condition; None without a goal
    assigned_treated: int
    assigned_holdout: int
    sample_ratio: uplift.SampleRatio | None
    measured_treated: int  # enrollments whose window has closed
    measured_holdout: int
    goal_rate: uplift.Difference | None
    revenue: uplift.Difference | None
    revenue_adjusted: uplift.Adjusted | None
    margin_share: float
    customers_needed: int | None
    # added with the primary metric (issue 14): defaults keep older callers working
    primary: str = "goal_rate"
    still_active: tuple[retention.StillActive, ...] = ()
    variants: tuple[Variant, ...] = ()
    by_week: tuple[over_time.WeekPoint, ...] = ()  # the goal rate, cumulative by week
    needed: Needed | None = None  # for the primary metric: None for an older caller

    @property
    def exploratory(self) -> list[str]:
        """The metrics shown beside the primary one: look, do not conclude from them."""
        return [m for m in PRIMARY_METRICS if m != self.primary]

    def still_active_at(self, days: int) -> retention.StillActive | None:
        """Return the still-active figures at ``days`` (30 or 90), if measured."""
        return next((s for s in self.still_active if s.days == days), None)

    @property
    def enough(self) -> bool:
        """Whether enough enrollments have been measured to detect the difference sought."""
        measured = self.measured_treated + self.measured_holdout
        if self.needed is not None:
            measured = self.needed.measured
        return (
            self.customers_needed is not None
            and measured >= self.customers_needed
            and self.measured_holdout > 0
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data (the API's and the CLI's --json)."""

        def difference(d: uplift.Difference | None) -> dict[str, Any] | None:
            if d is None:
                return None
            return d.as_dict()

        margin = scaled(self.revenue, self.margin_share)
        ratio = self.sample_ratio
        return {
            "playbook": self.playbook,
            "as_of": self.as_of,
            "holdout_share": self.holdout_share,
            "window_days": self.window_days,
            "goal": self.goal,
            "assigned": {"treated": self.assigned_treated, "holdout": self.assigned_holdout},
            "sample_ratio": None if ratio is None else ratio.as_dict(),
            "measured": {"treated": self.measured_treated, "holdout": self.measured_holdout},
            "goal_rate": difference(self.goal_rate),
            "revenue_per_customer": difference(self.revenue),
            "revenue_per_customer_adjusted": None
            if self.revenue_adjusted is None
            else {
                **(difference(self.revenue_adjusted.difference) or {}),
                "variance_reduction": self.revenue_adjusted.variance_reduction,
            },
            "margin_per_customer": difference(margin),
            "customers_needed": self.customers_needed,
            "needed_for_primary": None if self.needed is None else self.needed.as_dict(),
            "enough": self.enough,
            "primary_metric": self.primary,
            "exploratory_metrics": self.exploratory,
            **{f"still_active_{s.days}d": s.as_dict() for s in self.still_active},
            "variants": [v.as_dict() for v in self.variants],
            "goal_rate_by_week": [p.as_dict() for p in self.by_week],
        }


def measure(
    conn: Connection,
    name: str,
    *,
    margin_share: float,
    now: datetime | None = None,
    window_days: int | None = None,
) -> Measured:
    """Measure the playbook called ``name``; NotFound when there is none.

    ``window_days``: how long after enrollment to count revenue; the playbook's
    ``measure.window_days``, else the goal's own window when it has a goal, else 30 days.
    """
    published = repo.find(conn, name)
    if published is None:
        raise NotFound(f"playbook: no playbook called {name!r}")
    now = now or utcnow()
    playbook = Playbook.model_validate(published.definition)
    goal = playbook.goal
    window = (
        window_days
        or playbook.measure.window_days
        or (goal.within_days if goal else DEFAULT_WINDOW_DAYS)
    )
    if not 1 <= window <= 730:
        raise InvalidInput(f"window_days: {window} is not between 1 and 730")
    share = playbook.enrollment.holdout

    assigned = dict(
        conn.execute(
            select(Enrollment.holdout, func.count())
            .where(Enrollment.playbook_id == published.id, Enrollment.global_control.is_(False))
            .group_by(Enrollment.holdout)
        ).all()
    )
    treated_n, holdout_n = int(assigned.get(False, 0)), int(assigned.get(True, 0))
    ratio = uplift.sample_ratio(treated_n, holdout_n, share) if 0 < share < 1 else None

    cohort = _cohort(conn, published.id, now - timedelta(days=window), window, goal)
    measured_t = int((~cohort["holdout"]).sum()) if cohort.height else 0
    measured_h = int(cohort["holdout"].sum()) if cohort.height else 0
    goal_rate = None
    if goal is not None and cohort.height:
        reached = cohort.group_by("holdout").agg(pl.col("reached").sum(), pl.len())
        counts = {
            bool(r["holdout"]): (int(r["reached"]), int(r["len"])) for r in reached.rows(named=True)
        }
        t_goals, t_n = counts.get(False, (0, 0))
        h_goals, h_n = counts.get(True, (0, 0))
        goal_rate = uplift.rate_difference(t_goals, t_n, h_goals, h_n)
    treated = cohort.filter(~pl.col("holdout")) if cohort.height else cohort
    held = cohort.filter(pl.col("holdout")) if cohort.height else cohort
    revenue = adjusted = None
    if cohort.height:
        revenue = uplift.mean_difference(treated["after"].to_numpy(), held["after"].to_numpy())
        adjusted = uplift.cuped(
            treated["after"].to_numpy(),
            treated["before"].to_numpy(),
            held["after"].to_numpy(),
            held["before"].to_numpy(),
        )
    kept = tuple(retention.still_active(conn, published.id, now, d) for d in retention.DAYS)
    ways = variants(cohort, playbook, splits_of(conn, published.id)) if goal else []
    primary = playbook.primary_metric
    needed = _needed_for(primary, goal_rate, kept, cohort, share, margin_share)
    return Measured(
        playbook=name,
        as_of=now,
        holdout_share=share,
        window_days=window,
        goal=_goal_words(goal),
        assigned_treated=treated_n,
        assigned_holdout=holdout_n,
        sample_ratio=ratio,
        measured_treated=measured_t,
        measured_holdout=measured_h,
        goal_rate=goal_rate,
        revenue=revenue,
        revenue_adjusted=adjusted,
        margin_share=margin_share,
        customers_needed=needed.customers,
        primary=primary,
        still_active=kept,
        variants=tuple(ways),
        by_week=tuple(over_time.by_week(cohort)) if goal else (),
        needed=needed,
    )


def _cohort(
    conn: Connection, playbook_id: int, enrolled_by: datetime, window: int, goal: Any
) -> pl.DataFrame:
    """One row per enrollment whose window has closed: group, revenue after and before, goal."""
    closed = and_(
        Enrollment.playbook_id == playbook_id,
        Enrollment.enrolled_at <= enrolled_by,
        Enrollment.global_control.is_(False),
    )
    reached_by_status = Enrollment.status == EnrollmentStatus.CONVERTED.value
    reached: Any = reached_by_status
    if goal is not None and goal.event is not None:
        reached = exists().where(
            Event.customer_id == Enrollment.customer_id,
            Event.type == goal.event,
            Event.occurred_at >= Enrollment.enrolled_at,
            Event.occurred_at < Enrollment.goal_until,
        )
    rows = conn.execute(
        select(
            Enrollment.id,
            Enrollment.customer_id,
            Enrollment.holdout,
            Enrollment.enrolled_at,
            reached.label("reached"),
            Enrollment.version,
        ).where(closed)
    ).all()
    schema: dict[str, Any] = {
        "id": pl.Int64,
        "customer_id": pl.Int64,
        "holdout": pl.Boolean,
        "enrolled_at": pl.Datetime("us", "UTC"),
        "reached": pl.Boolean,
        "version": pl.Int64,
    }
    enrollments = pl.DataFrame(
        [(r[0], r[1], bool(r[2]), r[3], bool(r[4]), r[5]) for r in rows],
        schema=schema,
        orient="row",
    )
    if enrollments.height == 0:
        return enrollments.with_columns(after=pl.lit(0.0), before=pl.lit(0.0))
    span = timedelta(days=window)
    first, last = enrollments["enrolled_at"].min(), enrollments["enrolled_at"].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        raise TypeError("enrolled_at is not a datetime")  # pragma: no cover (height > 0)
    customers = select(Enrollment.customer_id).where(closed).scalar_subquery()
    orders = conn.execute(
        select(Order.customer_id, Order.ordered_at, Order.amount).where(
            Order.status == OrderStatus.PAID.value,
            Order.customer_id.in_(customers),
            Order.ordered_at >= first - span,
            Order.ordered_at < last + span,
        )
    ).all()
    bought = pl.DataFrame(
        [(r[0], r[1], float(r[2] if r[2] is not None else Decimal(0))) for r in orders],
        schema={
            "customer_id": pl.Int64,
            "ordered_at": pl.Datetime("us", "UTC"),
            "amount": pl.Float64,
        },
        orient="row",
    )
    joined = enrollments.join(bought, on="customer_id", how="left")
    after = (pl.col("ordered_at") >= pl.col("enrolled_at")) & (
        pl.col("ordered_at") < pl.col("enrolled_at") + span
    )
    before = (pl.col("ordered_at") >= pl.col("enrolled_at") - span) & (
        pl.col("ordered_at") < pl.col("enrolled_at")
    )
    per_enrollment = joined.group_by("id").agg(
        pl.col("amount").filter(after).sum().alias("after"),
        pl.col("amount").filter(before).sum().alias("before"),
        pl.col("amount").filter(after).count().alias("orders_after"),
    )
    out = enrollments.join(per_enrollment, on="id", how="left").with_columns(
        pl.col("after").fill_null(0.0), pl.col("before").fill_null(0.0)
    )
    if goal is not None and goal.purchase:
        # read from the orders, not the status: an enrollment that exited still counts a
        # purchase inside its window (intent to treat)
        out = out.with_columns(reached=pl.col("orders_after").fill_null(0) > 0)
    return out.sort("id")


def scaled(d: uplift.Difference | None, share: float) -> uplift.Difference | None:
    """Return ``d`` times ``share`` (margin from revenue: the interval scales with it)."""
    if d is None:
        return None
    return uplift.Difference(
        d.treated * share,
        d.holdout * share,
        d.difference * share,
        d.low * share,
        d.high * share,
        d.confidence,
    )


def _goal_words(goal: Any) -> str | None:
    if goal is None:
        return None
    if goal.purchase:
        return "purchase"
    if goal.event is not None:
        return f"event {goal.event}"
    return "condition"


def _base_rate(
    primary: str,
    goal_rate: uplift.Difference | None,
    kept: tuple[retention.StillActive, ...],
) -> float | None:
    """Return the holdout's rate of the primary metric when it is a rate, else the goal's."""
    if primary.startswith("still_active_"):
        days = int(primary.removeprefix("still_active_").removesuffix("d"))
        found = next((k.difference for k in kept if k.days == days), None)
        return found.holdout if found is not None else None
    return goal_rate.holdout if goal_rate is not None else None


def _needed_for(
    primary: str,
    goal_rate: uplift.Difference | None,
    kept: tuple[retention.StillActive, ...],
    cohort: pl.DataFrame,
    share: float,
    margin_share: float,
) -> Needed:
    """Return what the primary metric needs: a rate's 5 points, or 10% of a money figure."""
    if primary.startswith("still_active_"):
        days = int(primary.removeprefix("still_active_").removesuffix("d"))
        found = next((k for k in kept if k.days == days), None)
        measured = 0 if found is None else found.treated + found.holdout
        return Needed(
            primary,
            DETECTABLE_DIFFERENCE,
            _needed(_base_rate(primary, goal_rate, kept), share),
            measured,
        )
    measured = cohort.height
    if primary in ("revenue_per_customer", "margin_per_customer"):
        scale = margin_share if primary == "margin_per_customer" else 1.0
        if not 0 < share < 1 or measured < 2:
            return Needed(primary, None, None, measured)
        values = cohort["after"].to_numpy() * scale
        held = cohort.filter(pl.col("holdout"))["after"].to_numpy() * scale
        spread = float(values.std(ddof=1))
        level = float(held.mean()) if held.size and held.mean() > 0 else float(values.mean())
        difference = DETECTABLE_REVENUE_SHARE * level
        if not spread > 0 or not difference > 0:
            return Needed(primary, None, None, measured)
        customers = uplift.customers_needed_for_mean(spread, difference, share)
        return Needed(primary, round(difference, 2), customers, measured)
    return Needed(
        primary,
        DETECTABLE_DIFFERENCE,
        _needed(_base_rate(primary, goal_rate, kept), share),
        measured,
    )


def _needed(base_rate: float | None, share: float) -> int | None:
    """Return the customers needed to detect the difference sought at the holdout's rate."""
    if not 0 < share < 1:
        return None
    base = base_rate if base_rate is not None else 0.1
    base = min(max(base, 0.01), 0.99 - DETECTABLE_DIFFERENCE)
    return uplift.customers_needed(base, DETECTABLE_DIFFERENCE, share)
