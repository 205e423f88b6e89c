"""Loyalty KPIs: members against comparable non-members, and how members move between tiers.

**Matched comparison** (coarsened exact matching, Iacus, King & Porro 2012, *Political
Analysis* 20(1)). Each member is described as of the day they joined (or the programme's
start, if later) — their *index day* — and each non-member as of the middle of every month
in which members joined, so both are seen at the same point of the calendar. The description
is coarsened into bands:

* stage: ``new`` (first order < 90 days before), ``active`` (last order ≤ 180 days),
  ``lapsing`` (≤ 365 days), ``lapsed``;
* orders so far: 1, 2, 3–4, 5–9, 10+;  days since the last order: 0–30, 31–90, 91–180,
  181–365, 366+;  days since the first order: 0–90, 91–365, 366–730, 731+.

A stratum is (join month, stage, the three bands). Strata holding members and non-members
are *matched*; the rest are dropped (counted as unmatched). CEM weights: a member 1, a
non-member row of stratum s ``(T_s / C_s) × (C / T)`` with T_s, C_s the stratum's member and
non-member rows and T, C their totals over matched strata. The weighted difference of means

    ATT = ȳ_members − Σ_s (T_s / T) ȳ_non-members,s

is the members' outcome beside that of non-members who looked the same when they joined. Its
95 % interval is from the weighted regression y = a + b·member (b = ATT) with standard errors
clustered by customer (a non-member stands in every month they were eligible); normal
quantiles. **It is not a causal effect**: who joins is a choice, and what made them join
(liking the shop, planning to buy again) is not in the bands.

Outcomes: a paid order within 90 days after the index day (only index days at least 90 days
before the as-of day), spend from the index day to the as-of day (historical CLV since
joining), and the latest scoring run's predicted CLV.

**Tier migration**: members counted by (tier at the start of the period, tier at its end);
no tier is a row and a column of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy import stats

OUTCOMES = ("repurchase_90d", "spend_since", "predicted_clv")
ORDER_BANDS = ((0, "0"), (1, "1"), (2, "2"), (4, "3-4"), (9, "5-9"))
RECENCY_BANDS = ((30, "0-30"), (90, "31-90"), (180, "91-180"), (365, "181-365"))
TENURE_BANDS = ((90, "0-90"), (365, "91-365"), (730, "366-730"))
STRATUM = ("cohort", "stage", "order_band", "recency_band", "tenure_band")
NEEDED = (
    "customer_id",
    "member",
    "cohort",
    "orders_before",
    "days_since_last",
    "days_since_first",
)
Z = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Comparison:
    """One outcome: members beside their matched non-members, with 95 % intervals."""

    outcome: str
    members: int  # matched members with this outcome
    non_members: int  # distinct matched non-members
    member_mean: float
    member_ci: tuple[float, float] | None
    comparison_mean: float
    comparison_ci: tuple[float, float] | None
    difference: float
    difference_ci: tuple[float, float] | None


@dataclass(frozen=True)
class Matched:
    """The whole comparison: how many were matched and each outcome's figures."""

    members: int
    members_matched: int
    non_members: int
    non_members_matched: int
    strata: int
    comparisons: tuple[Comparison, ...]


def _band(column: str, bands: Sequence[tuple[int, str]], last: str) -> pl.Expr:
    expr: Any = pl.lit(last)
    for upper, name in reversed(bands):
        expr = pl.when(pl.col(column) <= upper).then(pl.lit(name)).otherwise(expr)
    return expr


def coarsen(people: pl.DataFrame) -> pl.DataFrame:
    """Add the stage and the bands each row is matched on (see the module's docstring)."""
    missing = [c for c in NEEDED if c not in people.columns]
    if missing:
        raise ValueError(f"people: missing column(s) {', '.join(missing)}")
    stage = (
        pl.when(pl.col("days_since_first") < 90)
        .then(pl.lit("new"))
        .when(pl.col("days_since_last") <= 180)
        .then(pl.lit("active"))
        .when(pl.col("days_since_last") <= 365)
        .then(pl.lit("lapsing"))
        .otherwise(pl.lit("lapsed"))
    )
    return people.with_columns(
        stage.alias("stage"),
        _band("orders_before", ORDER_BANDS, "10+").alias("order_band"),
        _band("days_since_last", RECENCY_BANDS, "366+").alias("recency_band"),
        _band("days_since_first", TENURE_BANDS, "731+").alias("tenure_band"),
    )


def cem_weights(rows: pl.DataFrame) -> pl.DataFrame:
    """Keep the rows of matched strata and add their CEM ``weight`` (``rows`` coarsened)."""
    counted = rows.group_by(STRATUM).agg(
        pl.col("member").sum().alias("_t"), (~pl.col("member")).sum().alias("_c")
    )
    matched = counted.filter((pl.col("_t") > 0) & (pl.col("_c") > 0))
    total_t, total_c = int(matched["_t"].sum() or 0), int(matched["_c"].sum() or 0)
    kept = rows.join(matched, on=list(STRATUM), how="inner")
    if kept.height == 0:
        return kept.with_columns(pl.lit(0.0).alias("weight")).drop("_t", "_c")
    control = (pl.col("_t") / pl.col("_c")) * (total_c / total_t)
    return kept.with_columns(
        pl.when(pl.col("member")).then(1.0).otherwise(control).alias("weight")
    ).drop("_t", "_c")


def _interval(mean: float, variance: float) -> tuple[float, float] | None:
    if not np.isfinite(variance):
        return None
    half = Z * float(np.sqrt(max(variance, 0.0)))  # 0 may come out a hair below it
    return (mean - half, mean + half)


def compare(rows: pl.DataFrame, outcome: str) -> Comparison | None:
    """Compare one outcome over the coarsened rows where it is known; None if none match."""
    known = cem_weights(rows.filter(pl.col(outcome).is_not_null()))
    members = int(known["member"].sum() or 0)
    if members == 0:
        return None
    y = known[outcome].cast(pl.Float64).to_numpy()
    treated = known["member"].cast(pl.Float64).to_numpy()
    x = np.column_stack([np.ones_like(treated), treated])
    groups = known["customer_id"].to_numpy()
    # intervals need two customers at least and more rows than the two coefficients
    ok = len(np.unique(groups)) > 1 and len(y) > 2
    model = sm.WLS(y, x, weights=known["weight"].to_numpy())
    fit = (
        model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=False)
        if ok
        else model.fit()
    )
    a, b = (float(v) for v in fit.params)
    cov = np.asarray(fit.cov_params()) if ok else np.full((2, 2), np.nan)
    return Comparison(
        outcome=outcome,
        members=members,
        non_members=int(known.filter(~pl.col("member"))["customer_id"].n_unique()),
        member_mean=a + b,
        member_ci=_interval(a + b, cov[0, 0] + cov[1, 1] + 2 * cov[0, 1]) if ok else None,
        comparison_mean=a,
        comparison_ci=_interval(a, cov[0, 0]) if ok else None,
        difference=b,
        difference_ci=_interval(b, cov[1, 1]) if ok else None,
    )


def matched_comparison(people: pl.DataFrame) -> Matched:
    """Match members to non-members (CEM) and compare every outcome present in ``people``.

    ``people``: one row per member (at their index day) and per non-member and join month,
    with ``customer_id``, ``member``, ``cohort``, ``orders_before``, ``days_since_last``,
    ``days_since_first`` and the outcome columns (null where unknown).
    """
    rows = coarsen(people)
    matched = cem_weights(rows)
    found = [compare(rows, o) for o in OUTCOMES if o in rows.columns]
    members = rows.filter(pl.col("member"))
    others = rows.filter(~pl.col("member"))
    return Matched(
        members=members["customer_id"].n_unique(),
        members_matched=matched.filter(pl.col("member"))["customer_id"].n_unique(),
        non_members=others["customer_id"].n_unique(),
        non_members_matched=matched.filter(~pl.col("member"))["customer_id"].n_unique(),
        strata=matched.select(STRATUM).unique().height,
        comparisons=tuple(c for c in found if c is not None),
    )


def _index_days(joins: pl.DataFrame, starts: date | None, as_of: date) -> pl.DataFrame:
    index = pl.col("joined")
    if starts is not None:
        index = pl.max_horizontal(index, pl.lit(starts))
    return (
        joins.select("customer_id", index.alias("index_day"), pl.lit(True).alias("member"))
        .filter(pl.col("index_day") <= as_of)
        .with_columns(pl.col("index_day").dt.truncate("1mo").alias("cohort"))
    )


def _controls(
    members: pl.DataFrame, orders: pl.DataFrame, as_of: date, starts: date | None
) -> pl.DataFrame:
    """Each non-member buyer once per join month, seen on its 15th (or the as-of day)."""
    cohorts = members.select("cohort").unique().sort("cohort")
    low = starts or date.min
    days = cohorts.with_columns(
        pl.min_horizontal(
            pl.max_horizontal(pl.col("cohort") + timedelta(days=14), pl.lit(low)),
            pl.lit(as_of),
        ).alias("index_day")
    )
    firsts = (
        orders.join(members.select("customer_id"), on="customer_id", how="anti")
        .group_by("customer_id")
        .agg(pl.col("day").min().alias("_first"))
    )
    return (
        firsts.join(days, how="cross")
        .filter(pl.col("_first") <= pl.col("index_day"))
        .select("customer_id", "index_day", pl.lit(False).alias("member"), "cohort")
    )


def index_rows(
    orders: pl.DataFrame,
    joins: pl.DataFrame,
    as_of: date,
    *,
    starts: date | None = None,
    clv: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Build the rows ``matched_comparison`` takes from paid orders and join days.

    ``orders``: ``customer_id``, ``day`` (date), ``amount``; ``joins``: ``customer_id``,
    ``joined`` (date) of every member; ``clv``: ``customer_id``, ``predicted_clv``. Members
    are seen on their index day (joined, or ``starts`` if later), non-members who had bought
    by then on the 15th of each month in which members joined. What happened up to and on the
    index day describes a row; what came after is its outcome.
    """
    orders = orders.filter(pl.col("day") <= as_of)
    members = _index_days(joins, starts, as_of)
    rows = pl.concat([members, _controls(members, orders, as_of, starts)], how="vertical")
    rows = rows.with_row_index("_row")
    seen = rows.join(orders, on="customer_id", how="inner")
    before = seen.filter(pl.col("day") <= pl.col("index_day"))
    after = seen.filter(pl.col("day") > pl.col("index_day"))
    described = before.group_by("_row").agg(
        pl.len().alias("orders_before"),
        (pl.col("index_day").first() - pl.col("day").max())
        .dt.total_days()
        .alias("days_since_last"),
        (pl.col("index_day").first() - pl.col("day").min())
        .dt.total_days()
        .alias("days_since_first"),
    )
    outcomes = after.group_by("_row").agg(
        pl.col("amount").sum().alias("spend_since"),
        (pl.col("day") <= pl.col("index_day") + timedelta(days=90)).any().alias("_again"),
    )
    full = (pl.col("index_day") + timedelta(days=90)) <= pl.lit(as_of)
    found = (
        rows.join(described, on="_row", how="left")
        .join(outcomes, on="_row", how="left")
        .with_columns(
            pl.col("orders_before").fill_null(0),
            pl.col("spend_since").fill_null(0.0),
            pl.when(full)
            .then(pl.col("_again").fill_null(False).cast(pl.Float64))
            .otherwise(None)
            .alias("repurchase_90d"),
        )
        .drop("_row", "_again")
    )
    if clv is not None:
        found = found.join(clv, on="customer_id", how="left")
    return found


def migration(tiers: pl.DataFrame, levels: Sequence[str]) -> list[dict[str, Any]]:
    """Count members by (tier at the start, tier at the end); one row per starting tier.

    ``tiers``: ``customer_id``, ``start`` and ``end`` (null: no tier). Rows and columns run
    from no tier (None) up the levels; each row has its ``counts`` in that order and a total.
    """
    order: list[str | None] = [None, *levels]
    counted = tiers.group_by("start", "end").len()
    cells = {(r["start"], r["end"]): int(r["len"]) for r in counted.iter_rows(named=True)}
    table = []
    for start in order:
        counts = [cells.get((start, end), 0) for end in order]
        table.append({"start": start, "counts": counts, "total": sum(counts)})
    return table
