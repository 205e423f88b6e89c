"""The feature step written by hand in DuckDB SQL, to measure what Ibis costs on top of it.

Same inputs (the snapshot's Arrow tables, cut at the as-of day) and the same definitions as
``tenure.analytics.features.feature_table``; ``compare`` times both (best of three) and checks
that they give the same table.
"""

from __future__ import annotations

import math
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tenure.analytics.features import (
    EMPTY_SCHEMAS,
    FeatureParams,
    compute_features,
    cut_frames,
    day_number,
    scan_batches,
)

SQL = """
WITH paid AS (SELECT * FROM orders WHERE status = 'paid'),
days AS (SELECT DISTINCT customer_id, day FROM paid),
gaps AS (
  SELECT customer_id, day, day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap
  FROM days),
comebacks AS (
  SELECT customer_id, max(day) AS comeback_day FROM gaps WHERE gap > {churn_after}
  GROUP BY customer_id),
per_day AS (
  SELECT customer_id, count(*) AS purchase_days, min(day) AS first_day, max(day) AS last_day
  FROM days GROUP BY customer_id),
first_revenue AS (
  SELECT p.customer_id, sum(p.amount) AS first_day_revenue
  FROM paid p JOIN per_day f ON f.customer_id = p.customer_id AND p.day = f.first_day
  GROUP BY p.customer_id),
money AS (
  SELECT customer_id, count(*) AS orders_paid, sum(amount) AS revenue_total,
    sum(amount) FILTER (WHERE day > {d} - 365) AS revenue_365,
    sum(amount) FILTER (WHERE day > {d} - 90) AS revenue_90,
    sum(amount) FILTER (WHERE day > {d} - 30) AS revenue_30,
    count(*) FILTER (WHERE day > {d} - 365) AS orders_365,
    count(*) FILTER (WHERE day > {d} - 90) AS orders_90,
    count(*) FILTER (WHERE day > {d} - 30) AS orders_30
  FROM paid GROUP BY customer_id),
refunds AS (
  SELECT customer_id, count(*) AS refunds FROM orders WHERE status = 'refunded'
  GROUP BY customer_id),
activity AS (
  SELECT customer_id,
    sum(CASE WHEN type IN ('email_click', 'feature_use') THEN 3.0
             WHEN type = 'login' THEN 2.0
             WHEN type IN ('complaint', 'support_ticket') THEN 0.0 ELSE 1.0 END
        * exp(CAST({d} - day AS DOUBLE) * {decay})) AS engagement,
    max(day) AS last_event_day,
    count(*) FILTER (WHERE day > {d} - 30) AS events_30,
    count(*) FILTER (WHERE day <= {d} - 30 AND day > {d} - 60) AS events_prior_30,
    count(*) FILTER (WHERE day > {d} - 90 AND type = 'complaint') AS complaints_90,
    count(*) FILTER (WHERE day > {d} - 90 AND type = 'support_ticket') AS tickets_90
  FROM events GROUP BY customer_id),
nps AS (
  SELECT customer_id, arg_max(score, day) AS last_nps FROM surveys GROUP BY customer_id),
subs AS (
  SELECT customer_id, count(*) AS ever_subscribed,
    count(*) FILTER (WHERE started_day IS NOT NULL
                     AND (cancelled_day IS NULL OR cancelled_day > {d})) AS active_subscriptions,
    min(started_day) AS first_subscription_day, max(cancelled_day) AS last_cancelled_day
  FROM subscriptions GROUP BY customer_id),
resubscribed AS (
  SELECT customer_id, max(started_day) AS resubscribed_day FROM (
    SELECT customer_id, started_day,
      lag(cancelled_day) OVER (PARTITION BY customer_id ORDER BY started_day) AS previous_cancel
    FROM subscriptions) WHERE previous_cancel IS NOT NULL GROUP BY customer_id)
SELECT c.customer_id, c.acquired_day, c.acquisition_channel, c.email_consent, c.company_size,
  coalesce(p.purchase_days, 0) AS purchase_days, p.first_day, p.last_day,
  coalesce(m.orders_paid, 0) AS orders_paid, m.revenue_total, m.revenue_365, m.revenue_90,
  m.revenue_30, m.orders_365, m.orders_90, m.orders_30, f.first_day_revenue, b.comeback_day,
  coalesce(r.refunds, 0) AS refunds, a.engagement, a.last_event_day,
  coalesce(a.events_30, 0) AS events_30, coalesce(a.events_prior_30, 0) AS events_prior_30,
  coalesce(a.complaints_90, 0) AS complaints_90, coalesce(a.tickets_90, 0) AS tickets_90,
  n.last_nps, coalesce(s.ever_subscribed, 0) AS ever_subscribed,
  coalesce(s.active_subscriptions, 0) AS active_subscriptions, s.first_subscription_day,
  s.last_cancelled_day, rs.resubscribed_day,
  greatest(coalesce(p.purchase_days, 0) - 1, 0) AS frequency,
  {d} - c.acquired_day AS acquired_days,
  {d} - p.first_day AS tenure_days,
  {d} - p.last_day AS days_since_last,
  (p.last_day - p.first_day) / nullif(nullif(coalesce(p.purchase_days, 0) - 1, 0), -1)
    AS typical_gap_days,
  {d} - b.comeback_day AS days_since_comeback,
  {d} - a.last_event_day AS days_since_event,
  {d} - s.first_subscription_day AS subscribed_days,
  {d} - rs.resubscribed_day AS days_since_resubscribed,
  ({d} - p.last_day) / nullif((p.last_day - p.first_day)
    / nullif(nullif(coalesce(p.purchase_days, 0) - 1, 0), -1), 0) AS overdue_ratio,
  coalesce(a.events_30, 0) / nullif(coalesce(a.events_prior_30, 0), 0) AS activity_trend
FROM customers c
LEFT JOIN per_day p ON p.customer_id = c.customer_id
LEFT JOIN money m ON m.customer_id = c.customer_id
LEFT JOIN first_revenue f ON f.customer_id = c.customer_id
LEFT JOIN comebacks b ON b.customer_id = c.customer_id
LEFT JOIN refunds r ON r.customer_id = c.customer_id
LEFT JOIN activity a ON a.customer_id = c.customer_id
LEFT JOIN nps n ON n.customer_id = c.customer_id
LEFT JOIN subs s ON s.customer_id = c.customer_id
LEFT JOIN resubscribed rs ON rs.customer_id = c.customer_id
WHERE c.acquired_day <= {d}
"""


def hand_written(
    frames: dict[str, pl.DataFrame], as_of: date, params: FeatureParams
) -> pl.DataFrame:
    """Run the SQL above on an in-memory DuckDB over the frames' Arrow tables."""
    con = duckdb.connect()
    for name, schema in EMPTY_SCHEMAS.items():
        frame = frames.get(name, pl.DataFrame(schema=schema)).select(list(schema)).cast(schema)  # type: ignore[arg-type]
        con.register(name, scan_batches(frame.to_arrow()))  # as compute_features registers them
    sql = SQL.format(
        d=day_number(as_of),
        churn_after=params.churn_after_days,
        decay=-math.log(2) / params.engagement_half_life_days,
    )
    result = pl.from_arrow(con.sql(sql).fetch_arrow_table())
    con.close()
    assert isinstance(result, pl.DataFrame)
    return result.sort("customer_id")  # sorted as compute_features sorts


def _equal(a: pl.DataFrame, b: pl.DataFrame) -> tuple[bool, dict[str, int]]:
    """Compare column by column; floats within 1e-9 relative. Return (equal, differing cells)."""
    differing = {}
    for name in a.columns:
        x, y = a[name], b[name]
        if x.dtype.is_float() or y.dtype.is_float():
            x, y = x.cast(pl.Float64), y.cast(pl.Float64)
            close = (x - y).abs() <= 1e-9 * x.abs().clip(1.0)
            same = close.fill_null(False) | (x.is_null() & y.is_null())
        else:
            same = (x.cast(pl.String) == y.cast(pl.String)).fill_null(False) | (
                x.is_null() & y.is_null()
            )
        if (bad := int((~same).sum())) > 0:
            differing[name] = bad
    return not differing, differing


def compare(store: Path, as_of: date, repeats: int = 3) -> dict[str, Any]:
    """Time the Ibis features and the hand-written SQL on the store's snapshot."""
    from tenure.domains.scoring.snapshot import take_snapshot
    from tenure.storage.engine import make_engine

    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as conn:
        frames = cut_frames(take_snapshot(conn, as_of, "UTC"), day_number(as_of))
    params = FeatureParams()
    best_ibis = best_sql = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        ibis_result = compute_features(frames, as_of, params)
        best_ibis = min(best_ibis, time.perf_counter() - started)
        started = time.perf_counter()
        sql_result = hand_written(frames, as_of, params)
        best_sql = min(best_sql, time.perf_counter() - started)
    equal, differing = _equal(ibis_result, sql_result.select(ibis_result.columns))
    return {
        "ibis_seconds": round(best_ibis, 3),
        "sql_seconds": round(best_sql, 3),
        "ratio": round(best_ibis / best_sql, 3),
        "repeats": repeats,
        "rows": ibis_result.height,
        "equal": equal,
        "differing_cells": differing,
    }
