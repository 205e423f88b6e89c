"""The feature table of every day in a range, walked day by day (for dry runs on history).

compute_features() answers for one day at a time, in DuckDB, from frames cut at that day: a
year of days would be 365 full passes over the store. A replay needs every customer on every
day, so this module walks the days once instead, keeping per-customer numpy state:

- the frames are sorted by day once, and each day's rows are a slice;
- counts and sums over the last N days (orders and revenue over 30/90/365 days, events over
  30 and the 30 before, complaints and tickets over 90) add the day's rows and subtract the
  rows of day d − N, which leave the window that day;
- engagement is a 90-day truncated exponential sum, e_d = e_{d−1}·r + w_d − w_{d−90}·r^90
  with r = 2^(−1 / half-life);
- first/last/comeback purchase days, the latest event days, the latest survey score and the
  subscription counts are updated from the day's rows.

Each yielded frame has the columns, types, nulls and row order of compute_features() on the
frames cut at that day (cut_frames), floats within rounding (the window sums are running sums).
Where compute_features() leaves a tie to DuckDB's scan order — two surveys of a customer on
one day, two subscriptions starting on one day — this takes the later row of the input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from tenure.analytics.features import (
    EMPTY_SCHEMAS,
    EPOCH,
    FEATURE_EVENT_DAYS,
    NOT_ACTIVITY,
    FeatureParams,
    day_number,
)

NONE = np.iinfo(np.int64).min  # "no day yet" in the day-valued state
WINDOWS = (30, 90, 365)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Array = npt.NDArray[Any]  # the state and the columns: typed by their dtype at run time


def _frame(frames: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame:
    schema = EMPTY_SCHEMAS[name]
    frame = frames.get(name)
    if frame is None:
        frame = pl.DataFrame(schema=schema)
    frame = frame.with_columns(
        pl.lit(None).cast(dtype).alias(column)
        for column, dtype in schema.items()
        if column not in frame.columns
    )
    return frame.select(list(schema)).cast(schema)  # type: ignore[arg-type]


class _ByDay:
    """Rows sorted by day (stable: ties keep the input order), sliced a day at a time."""

    def __init__(self, days: IntArray, **columns: Array) -> None:
        order = np.argsort(days, kind="stable")
        self.days = days[order]
        self.columns = {name: values[order] for name, values in columns.items()}

    def at(self, day: int) -> slice:
        lo, hi = np.searchsorted(self.days, [day, day + 1])
        return slice(int(lo), int(hi))

    def first(self) -> int | None:
        return int(self.days[0]) if len(self.days) else None


def _index(ids: IntArray, customer_id: pl.Series) -> tuple[IntArray, BoolArray]:
    """Return positions of ``customer_id`` in the sorted ``ids`` and which ones are known."""
    values = customer_id.fill_null(-1).to_numpy().astype(np.int64)
    position = np.searchsorted(ids, values)
    known = position < len(ids)
    known[known] = ids[position[known]] == values[known]
    return np.where(known, position, 0).astype(np.int64), known


def daily_features(
    frames: Mapping[str, pl.DataFrame],
    first_day: date,
    last_day: date,
    params: FeatureParams | None = None,
) -> Iterator[tuple[date, pl.DataFrame]]:
    """Yield ``(day, features)`` for every day from ``first_day`` to ``last_day`` inclusive.

    ``features`` equals compute_features(cut_frames(frames, day), day, params).
    """
    params = params or FeatureParams()
    customers = _frame(frames, "customers").sort("customer_id")
    ids = customers["customer_id"].to_numpy().astype(np.int64)
    acquired = customers["acquired_day"].fill_null(np.iinfo(np.int32).max).to_numpy()
    acquired = acquired.astype(np.int64)
    n = len(ids)

    orders = _frame(frames, "orders").filter(pl.col("day").is_not_null())
    where, known = _index(ids, orders["customer_id"])
    status = orders["status"].to_numpy()
    order_days = orders["day"].to_numpy().astype(np.int64)
    paid_rows = known & (status == "paid")
    paid = _ByDay(
        order_days[paid_rows],
        customer=where[paid_rows],
        amount=orders["amount"].fill_null(0.0).to_numpy().astype(np.float64)[paid_rows],
        # a sum of amounts is null while every amount in it is (as SQL sums)
        priced=orders["amount"].is_not_null().to_numpy()[paid_rows].astype(np.int64),
    )
    refund_rows = known & (status == "refunded")
    refunded = _ByDay(order_days[refund_rows], customer=where[refund_rows])

    events = _frame(frames, "events").filter(pl.col("day").is_not_null())
    where, known = _index(ids, events["customer_id"])
    kind = events["type"]
    weight = (
        pl.select(
            pl.when(kind.is_in(["email_click", "feature_use"]))
            .then(3.0)
            .when(kind == "login")
            .then(2.0)
            .when(kind.is_in(["complaint", "support_ticket"]))
            .then(0.0)
            .otherwise(1.0)
        )
        .to_series()
        .to_numpy()
    )
    event_rows = _ByDay(
        events["day"].to_numpy().astype(np.int64)[known],
        customer=where[known],
        weight=weight[known],
        active=(~kind.is_in(list(NOT_ACTIVITY))).fill_null(False).to_numpy()[known],
        complaint=(kind == "complaint").fill_null(False).to_numpy()[known],
        ticket=(kind == "support_ticket").fill_null(False).to_numpy()[known],
    )

    surveys = _frame(frames, "surveys").filter(pl.col("day").is_not_null())
    where, known = _index(ids, surveys["customer_id"])
    score = surveys["score"]
    survey_rows = _ByDay(
        surveys["day"].to_numpy().astype(np.int64)[known],
        customer=where[known],
        score=score.fill_null(0).to_numpy().astype(np.int64)[known],
        valid=score.is_not_null().to_numpy()[known],
    )

    subs = _frame(frames, "subscriptions").filter(pl.col("started_day").is_not_null())
    where, known = _index(ids, subs["customer_id"])
    subs = subs.with_columns(position=pl.Series(where)).filter(pl.Series(known))
    # the previous subscription by start day: a start after it was cancelled is a resubscription
    subs = subs.with_row_index("row").sort(["position", "started_day", "row"])
    started = subs["started_day"].to_numpy().astype(np.int64)
    cancelled = subs["cancelled_day"].fill_null(NONE).to_numpy().astype(np.int64)
    sub_customer = subs["position"].to_numpy().astype(np.int64)
    ends = cancelled != NONE
    sub_starts = _ByDay(started, customer=sub_customer, active=~ends | (cancelled > started))
    lasting = ends & (cancelled > started)
    sub_ends = _ByDay(cancelled[lasting], customer=sub_customer[lasting])
    # a cancellation becomes known on its day, or with its subscription if it was started later
    sub_cancels = _ByDay(
        np.maximum(started, cancelled)[ends], customer=sub_customer[ends], value=cancelled[ends]
    )
    same = np.zeros(len(subs), dtype=np.bool_)
    same[1:] = sub_customer[1:] == sub_customer[:-1]
    previous_cancel = np.full(len(subs), NONE, dtype=np.int64)
    previous_cancel[1:] = cancelled[:-1]
    resub = same & (previous_cancel != NONE)
    resubs = _ByDay(
        np.maximum(started, previous_cancel)[resub],
        customer=sub_customer[resub],
        value=started[resub],
    )

    # per-customer state
    purchase_days = np.zeros(n, np.int64)
    first = np.full(n, NONE, np.int64)
    last = np.full(n, NONE, np.int64)
    comeback = np.full(n, NONE, np.int64)
    orders_paid = np.zeros(n, np.int64)
    revenue_total = np.zeros(n, np.float64)
    first_revenue = np.zeros(n, np.float64)
    priced_total = np.zeros(n, np.int64)
    priced_first = np.zeros(n, np.int64)
    window_priced = {w: np.zeros(n, np.int64) for w in WINDOWS}
    window_orders = {w: np.zeros(n, np.int64) for w in WINDOWS}
    window_revenue = {w: np.zeros(n, np.float64) for w in WINDOWS}
    refunds = np.zeros(n, np.int64)
    last_event = np.full(n, NONE, np.int64)
    last_active = np.full(n, NONE, np.int64)
    events_90 = np.zeros(n, np.int64)
    weighted_90 = np.zeros(n, np.int64)  # events of a positive weight in the last 90 days
    events_30 = np.zeros(n, np.int64)
    events_prior_30 = np.zeros(n, np.int64)
    complaints_90 = np.zeros(n, np.int64)
    tickets_90 = np.zeros(n, np.int64)
    engagement = np.zeros(n, np.float64)
    last_nps = np.zeros(n, np.int64)
    has_nps = np.zeros(n, np.bool_)
    ever_subscribed = np.zeros(n, np.int64)
    active_subscriptions = np.zeros(n, np.int64)
    first_subscription = np.full(n, NONE, np.int64)
    last_cancelled = np.full(n, NONE, np.int64)
    resubscribed = np.full(n, NONE, np.int64)

    rate = math.exp(-math.log(2) / params.engagement_half_life_days)
    rate_out = rate**FEATURE_EVENT_DAYS
    begin, end = day_number(first_day), day_number(last_day)
    starts = [s.first() for s in (paid, refunded, event_rows, survey_rows, sub_starts, sub_cancels)]
    start = min([begin, *(s for s in starts if s is not None)])

    for d in range(start, end + 1):
        # purchases
        s = paid.at(d)
        customer, amount = paid.columns["customer"][s], paid.columns["amount"][s]
        priced = paid.columns["priced"][s]
        if len(customer):
            np.add.at(priced_total, customer, priced)
            np.add.at(orders_paid, customer, 1)
            np.add.at(revenue_total, customer, amount)
            buyers = np.unique(customer)
            before = last[buyers]
            if params.comebacks:
                back = (before != NONE) & (d - before > params.churn_after_days)
                comeback[buyers[back]] = d
            first[buyers[first[buyers] == NONE]] = d
            last[buyers] = d
            purchase_days[buyers] += 1
            firsts = first[customer] == d
            np.add.at(first_revenue, customer[firsts], amount[firsts])
            np.add.at(priced_first, customer[firsts], priced[firsts])
            for w in WINDOWS:
                np.add.at(window_orders[w], customer, 1)
                np.add.at(window_priced[w], customer, priced)
                np.add.at(window_revenue[w], customer, amount)
        for w in WINDOWS:
            s = paid.at(d - w)
            gone = paid.columns["customer"][s]
            if len(gone):
                np.subtract.at(window_orders[w], gone, 1)
                np.subtract.at(window_priced[w], gone, paid.columns["priced"][s])
                np.subtract.at(window_revenue[w], gone, paid.columns["amount"][s])
                # a running sum leaves rounding dust when it empties: make it exact
                empty = gone[window_priced[w][gone] == 0]
                window_revenue[w][empty] = 0.0
        s = refunded.at(d)
        np.add.at(refunds, refunded.columns["customer"][s], 1)

        # events
        engagement *= rate
        cols = event_rows.columns
        s = event_rows.at(d)
        customer = cols["customer"][s]
        if len(customer):
            last_event[customer] = d
            last_active[customer[cols["active"][s]]] = d
            np.add.at(events_90, customer, 1)
            np.add.at(weighted_90, customer, cols["weight"][s] > 0)
            np.add.at(events_30, customer, 1)
            np.add.at(complaints_90, customer, cols["complaint"][s])
            np.add.at(tickets_90, customer, cols["ticket"][s])
            np.add.at(engagement, customer, cols["weight"][s])
        s = event_rows.at(d - 30)
        moved = cols["customer"][s]
        if len(moved):
            np.subtract.at(events_30, moved, 1)
            np.add.at(events_prior_30, moved, 1)
        s = event_rows.at(d - 60)
        np.subtract.at(events_prior_30, cols["customer"][s], 1)
        s = event_rows.at(d - FEATURE_EVENT_DAYS)
        gone = cols["customer"][s]
        if len(gone):
            np.subtract.at(events_90, gone, 1)
            np.subtract.at(weighted_90, gone, cols["weight"][s] > 0)
            np.subtract.at(complaints_90, gone, cols["complaint"][s])
            np.subtract.at(tickets_90, gone, cols["ticket"][s])
            np.subtract.at(engagement, gone, cols["weight"][s] * rate_out)
            engagement[gone[weighted_90[gone] == 0]] = 0.0

        # surveys: the latest answer (the later row on a tie)
        s = survey_rows.at(d)
        customer = survey_rows.columns["customer"][s]
        if len(customer):
            last_nps[customer] = survey_rows.columns["score"][s]
            has_nps[customer] = survey_rows.columns["valid"][s]

        # subscriptions
        s = sub_starts.at(d)
        customer = sub_starts.columns["customer"][s]
        if len(customer):
            np.add.at(ever_subscribed, customer, 1)
            np.add.at(active_subscriptions, customer, sub_starts.columns["active"][s])
            first_subscription[customer[first_subscription[customer] == NONE]] = d
        s = sub_ends.at(d)
        np.subtract.at(active_subscriptions, sub_ends.columns["customer"][s], 1)
        s = sub_cancels.at(d)
        np.maximum.at(
            last_cancelled, sub_cancels.columns["customer"][s], sub_cancels.columns["value"][s]
        )
        s = resubs.at(d)
        np.maximum.at(resubscribed, resubs.columns["customer"][s], resubs.columns["value"][s])

        if d < begin:
            continue
        yield (
            EPOCH + timedelta(days=d),
            _table(
                d,
                customers,
                acquired,
                {
                    "purchase_days": purchase_days,
                    "first": first,
                    "last": last,
                    "comeback": comeback,
                    "orders_paid": orders_paid,
                    "revenue_total": revenue_total,
                    "first_revenue": first_revenue,
                    "priced_total": priced_total,
                    "priced_first": priced_first,
                    **{f"priced_{w}": window_priced[w] for w in WINDOWS},
                    **{f"orders_{w}": window_orders[w] for w in WINDOWS},
                    **{f"revenue_{w}": window_revenue[w] for w in WINDOWS},
                    "refunds": refunds,
                    "last_event": last_event,
                    "last_active": last_active,
                    "events_90": events_90,
                    "events_30": events_30,
                    "events_prior_30": events_prior_30,
                    "complaints_90": complaints_90,
                    "tickets_90": tickets_90,
                    "engagement": engagement,
                    "last_nps": last_nps,
                    "has_nps": has_nps,
                    "ever_subscribed": ever_subscribed,
                    "active_subscriptions": active_subscriptions,
                    "first_subscription": first_subscription,
                    "last_cancelled": last_cancelled,
                    "resubscribed": resubscribed,
                },
            ),
        )


def _table(
    d: int,
    customers: pl.DataFrame,
    acquired: IntArray,
    state: Mapping[str, Array],
) -> pl.DataFrame:
    """Build the day's feature frame, in compute_features()'s column order and types."""
    rows = acquired <= d
    everyone = bool(rows.all())

    def take(name: str) -> Array:
        values = state[name]
        return values if everyone else values[rows]

    def column(values: Array, valid: BoolArray | None, kind: pa.DataType) -> pa.Array:
        mask = None if valid is None else ~valid
        return pa.array(values, type=kind, mask=mask, from_pandas=False, safe=False)

    i64, i32, f64 = pa.int64(), pa.int32(), pa.float64()
    purchase_days = take("purchase_days")
    first, last, comeback = take("first"), take("last"), take("comeback")
    bought = purchase_days > 0
    gap_count = purchase_days - 1
    repeat = gap_count > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (last - first) / np.where(repeat, gap_count, 1)
        since_last = d - last
        overdue = since_last / np.where(repeat, gap, 1.0)
        events_30, prior = take("events_30"), take("events_prior_30")
        trend = events_30 / np.where(prior > 0, prior, 1)
    last_event, last_active = take("last_event"), take("last_active")
    recent_event = (last_event != NONE) & (d - last_event < FEATURE_EVENT_DAYS)
    recent_active = (last_active != NONE) & (d - last_active < FEATURE_EVENT_DAYS)
    first_sub, cancelled, resub = (
        take("first_subscription"),
        take("last_cancelled"),
        take("resubscribed"),
    )
    has_sub, has_cancel, has_resub = first_sub != NONE, cancelled != NONE, resub != NONE
    has_comeback = comeback != NONE
    orders = {w: take(f"orders_{w}") for w in WINDOWS}
    acquired_day = acquired if everyone else acquired[rows]
    base = customers if everyone else customers.filter(pl.Series(rows))
    arrays: dict[str, pa.Array] = {
        "purchase_days": column(purchase_days, None, i64),
        "first_day": column(first, bought, i32),
        "last_day": column(last, bought, i32),
        "orders_paid": column(take("orders_paid"), None, i64),
        "revenue_total": column(take("revenue_total"), take("priced_total") > 0, f64),
        **{
            f"revenue_{w}": column(take(f"revenue_{w}"), take(f"priced_{w}") > 0, f64)
            for w in (365, 90, 30)
        },
        **{f"orders_{w}": column(orders[w], bought, i64) for w in (365, 90, 30)},
        "first_day_revenue": column(take("first_revenue"), take("priced_first") > 0, f64),
        "comeback_day": column(comeback, has_comeback, i32),
        "refunds": column(take("refunds"), None, i64),
        "engagement": column(take("engagement"), take("events_90") > 0, f64),
        "last_event_day": column(last_event, recent_event, i32),
        "last_active_day": column(last_active, recent_active, i32),
        "events_30": column(events_30, None, i64),
        "events_prior_30": column(prior, None, i64),
        "complaints_90": column(take("complaints_90"), None, i64),
        "tickets_90": column(take("tickets_90"), None, i64),
        "last_nps": column(take("last_nps"), take("has_nps"), i64),
        "ever_subscribed": column(take("ever_subscribed"), None, i64),
        "active_subscriptions": column(take("active_subscriptions"), None, i64),
        "first_subscription_day": column(first_sub, has_sub, i32),
        "last_cancelled_day": column(cancelled, has_cancel, i32),
        "resubscribed_day": column(resub, has_resub, i32),
        "frequency": column(np.maximum(gap_count, 0), None, i64),
        "acquired_days": column(d - acquired_day, None, i64),
        "tenure_days": column(d - first, bought, i64),
        "days_since_last": column(since_last, bought, i64),
        "typical_gap_days": column(gap, repeat, f64),
        "days_since_comeback": column(d - comeback, has_comeback, i64),
        "days_since_event": column(d - last_event, recent_event, i64),
        "days_since_active_event": column(d - last_active, recent_active, i64),
        "subscribed_days": column(d - first_sub, has_sub, i64),
        "days_since_resubscribed": column(d - resub, has_resub, i64),
        "overdue_ratio": column(overdue, repeat, f64),
        "activity_trend": column(trend, prior > 0, f64),
    }
    features = pl.from_arrow(pa.table(arrays))
    assert isinstance(features, pl.DataFrame)  # noqa: S101  (from_arrow of a table)
    return pl.concat([base, features], how="horizontal")
