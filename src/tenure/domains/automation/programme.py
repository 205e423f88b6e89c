"""What all marketing playbooks together changed: everyone else against the global control.

With ``automation.global_control_share`` set, a stable share of all customers gets no
marketing playbook at all: an enrollment of theirs in one is recorded (``global_control``)
and runs no step. Service playbooks reach them as everyone.

Who is compared: every customer whose *first* marketing enrollment came on or after the first
global-control enrollment (when the group started). That first enrollment is their entry:
whatever enrolled them happened before any marketing playbook touched them, in both groups
alike, so the comparison stays randomised. Intent to treat: a customer counts in the group
of their entry, whatever happened next (later playbooks, their holdouts, a capped email).
Only entries whose window (``automation.programme_window_days``) has closed are compared.

- The purchase rate: a paid order within the window (Newcombe's interval).
- Revenue per customer over the window (Welch's interval) and gross margin, its share.
- The sample-ratio check against the share, and the customers still needed to detect the
  difference sought in the purchase rate (``automation.programme_detectable_difference``).

The statistics are ``tenure.analytics.uplift``'s; docs/experiments.md explains each figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from tenure.analytics import uplift
from tenure.domains.automation.measure import DETECTABLE_DIFFERENCE, scaled
from tenure.domains.automation.models import Enrollment, PlaybookVersion
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.preferences import service as preferences
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow


@dataclass(frozen=True)
class Programme:
    """Every marketing playbook together against the global control, as of ``as_of``."""

    as_of: datetime
    share: float
    window_days: int
    started: datetime | None  # the first global-control enrollment; None: no group yet
    assigned_treated: int  # customers entered since the group started
    assigned_control: int
    sample_ratio: uplift.SampleRatio | None
    measured_treated: int  # of them, those whose window has closed
    measured_control: int
    purchase_rate: uplift.Difference | None
    revenue: uplift.Difference | None
    margin_share: float
    customers_needed: int | None
    detectable_difference: float = DETECTABLE_DIFFERENCE

    @property
    def enough(self) -> bool:
        """Whether enough customers have been measured to detect the difference sought."""
        measured = self.measured_treated + self.measured_control
        return (
            self.customers_needed is not None
            and measured >= self.customers_needed
            and self.measured_control > 0
        )

    @property
    def still_needed(self) -> int | None:
        """How many more measured customers the difference sought needs (0 when enough)."""
        if self.customers_needed is None:
            return None
        return max(0, self.customers_needed - self.measured_treated - self.measured_control)

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data (the API's and the CLI's --json)."""

        def difference(d: uplift.Difference | None) -> dict[str, Any] | None:
            if d is None:
                return None
            figures = d.as_dict()
            figures["control"] = figures.pop("holdout")  # the programme's comparison group
            return figures

        ratio = self.sample_ratio
        return {
            "as_of": self.as_of,
            "global_control_share": self.share,
            "window_days": self.window_days,
            "started": self.started,
            "assigned": {"treated": self.assigned_treated, "control": self.assigned_control},
            "sample_ratio": None if ratio is None else ratio.as_dict(),
            "measured": {"treated": self.measured_treated, "control": self.measured_control},
            "primary_metric": "purchase_rate",
            "purchase_rate": difference(self.purchase_rate),
            "revenue_per_customer": difference(self.revenue),
            "margin_per_customer": difference(scaled(self.revenue, self.margin_share)),
            "customers_needed": self.customers_needed,
            "detectable_difference": self.detectable_difference,
            "still_needed": self.still_needed,
            "enough": self.enough,
        }


def programme(
    conn: Connection,
    *,
    share: float,
    margin_share: float,
    window_days: int = 90,
    detectable_difference: float = DETECTABLE_DIFFERENCE,
    now: datetime | None = None,
) -> Programme:
    """Measure all marketing playbooks together against the global control of ``share``."""
    if not 0 <= share <= 0.5:
        raise InvalidInput(f"global_control_share: {share} is not between 0 and 0.5")
    if not 1 <= window_days <= 730:
        raise InvalidInput(f"window_days: {window_days} is not between 1 and 730")
    now = now or utcnow()
    started = conn.execute(
        select(func.min(Enrollment.enrolled_at)).where(Enrollment.global_control.is_(True))
    ).scalar_one()
    entries = _entries(conn, started) if started is not None and share > 0 else _no_entries()
    control_n = int(entries["control"].sum()) if entries.height else 0
    treated_n = entries.height - control_n
    ratio = uplift.sample_ratio(treated_n, control_n, share) if 0 < share < 1 else None
    closed = entries.filter(pl.col("entered") <= now - timedelta(days=window_days))
    measured = _outcomes(conn, closed, window_days)
    treated = measured.filter(~pl.col("control"))
    control = measured.filter(pl.col("control"))
    rate = uplift.rate_difference(
        int(treated["bought"].sum()), treated.height, int(control["bought"].sum()), control.height
    )
    revenue = uplift.mean_difference(treated["revenue"].to_numpy(), control["revenue"].to_numpy())
    base = rate.holdout if rate is not None else 0.2
    if not 0 < detectable_difference <= 0.5:
        raise InvalidInput(f"detectable_difference: {detectable_difference} is not in (0, 0.5]")
    base = min(max(base, 0.01), 0.99 - detectable_difference)
    needed = uplift.customers_needed(base, detectable_difference, share) if 0 < share < 1 else None
    return Programme(
        as_of=now,
        share=share,
        window_days=window_days,
        started=started,
        assigned_treated=treated_n,
        assigned_control=control_n,
        sample_ratio=ratio,
        measured_treated=treated.height,
        measured_control=control.height,
        purchase_rate=rate,
        revenue=revenue,
        margin_share=margin_share,
        customers_needed=needed,
        detectable_difference=detectable_difference,
    )


def global_control_share(conn: Connection, settings: Settings) -> float:
    """Return the global control group's share: saved in the store, else configured.

    ``tenure demo`` saves 5%; otherwise it is ``automation.global_control_share``.
    """
    return preferences.effective(conn, settings).automation.global_control_share


def as_configured(
    conn: Connection, settings: Settings, *, window_days: int | None = None
) -> Programme:
    """Measure the programme with the settings' share, window, margin and difference sought."""
    automation = preferences.effective(conn, settings).automation
    return programme(
        conn,
        share=automation.global_control_share,
        margin_share=settings.value.margin,
        window_days=window_days or automation.programme_window_days,
        detectable_difference=automation.programme_detectable_difference,
    )


ENTRIES: dict[str, Any] = {
    "customer_id": pl.Int64,
    "entered": pl.Datetime("us", "UTC"),
    "control": pl.Boolean,
}


def _no_entries() -> pl.DataFrame:
    return pl.DataFrame(schema=ENTRIES)


def _marketing_versions(conn: Connection) -> pl.DataFrame:
    """Return (playbook_id, version) of every published version of a marketing playbook."""
    rows = conn.execute(
        select(PlaybookVersion.playbook_id, PlaybookVersion.version, PlaybookVersion.definition)
    ).all()
    kept = [
        (int(p), int(v))
        for p, v, definition in rows
        if (definition or {}).get("kind", "marketing") == "marketing"
    ]
    return pl.DataFrame(kept, schema={"playbook_id": pl.Int64, "version": pl.Int64}, orient="row")


def _entries(conn: Connection, started: datetime) -> pl.DataFrame:
    """Return each customer's first marketing enrollment, if on or after ``started``."""
    rows = conn.execute(
        select(
            Enrollment.id,
            Enrollment.customer_id,
            Enrollment.playbook_id,
            Enrollment.version,
            Enrollment.enrolled_at,
            Enrollment.global_control,
        )
    ).all()
    enrollments = pl.DataFrame(
        [(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows],
        schema={
            "id": pl.Int64,
            "customer_id": pl.Int64,
            "playbook_id": pl.Int64,
            "version": pl.Int64,
            "entered": pl.Datetime("us", "UTC"),
            "control": pl.Boolean,
        },
        orient="row",
    )
    first = (
        enrollments.join(_marketing_versions(conn), on=["playbook_id", "version"], how="inner")
        .sort("entered", "id")
        .group_by("customer_id", maintain_order=True)
        .first()
    )
    return first.filter(pl.col("entered") >= started).select(list(ENTRIES)).sort("customer_id")


def _outcomes(conn: Connection, entries: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """Add to each entry whether the customer bought within the window, and how much."""
    if entries.height == 0:
        return entries.with_columns(bought=pl.lit(False), revenue=pl.lit(0.0))
    span = timedelta(days=window_days)
    first, last = entries["entered"].min(), entries["entered"].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        raise TypeError("entered is not a datetime")  # pragma: no cover (height > 0)
    ids = entries["customer_id"].to_list()
    orders: list[tuple[int, datetime, float]] = []
    for start in range(0, len(ids), 900):  # under every database's limit on bound values
        orders += [
            (int(c), at, float(amount or 0))
            for c, at, amount in conn.execute(
                select(Order.customer_id, Order.ordered_at, Order.amount).where(
                    Order.status == OrderStatus.PAID.value,
                    Order.customer_id.in_(ids[start : start + 900]),
                    Order.ordered_at >= first,
                    Order.ordered_at < last + span,
                )
            ).all()
        ]
    paid = pl.DataFrame(
        orders,
        schema={"customer_id": pl.Int64, "at": pl.Datetime("us", "UTC"), "amount": pl.Float64},
        orient="row",
    )
    inside = (pl.col("at") >= pl.col("entered")) & (pl.col("at") < pl.col("entered") + span)
    per_customer = (
        entries.join(paid, on="customer_id", how="inner")
        .filter(inside)
        .group_by("customer_id")
        .agg(revenue=pl.col("amount").sum())
    )
    return (
        entries.join(per_customer, on="customer_id", how="left")
        .with_columns(
            bought=pl.col("revenue").is_not_null(), revenue=pl.col("revenue").fill_null(0.0)
        )
        .sort("customer_id")
    )
