"""``tenure demo check``: a scoring run of the demo company against the company's truth.

For the run's day d it compares what the run said with what was true:

- per stage, the share of its customers truly alive and truly gone on day d;
- the recall of truly gone buyers: the share of them placed in churned or declining;
- P(alive) against being truly alive, and churn risk against the churn label (no paid order
  and no activity in the next H days, read from the store and from the truth's future), each
  with a reliability table, Brier score, ROC-AUC and expected calibration error;
- CLV against the true expected value (``tenure.demo.truth.Truth.expected_value``).

Targets are printed beside the figures (``Targets``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection
from sqlalchemy.exc import NoResultFound

from tenure.analytics.calibration import calibration
from tenure.analytics.stages import STAGES
from tenure.demo.truth import Truth
from tenure.domains.crosssell import repository as cross_sell_repo
from tenure.domains.scoring import outcomes
from tenure.domains.scoring import repository as runs
from tenure.kit.errors import NotFound
from tenure.kit.timeutil import start_of_day

ACTIVE_STAGES = ("growing", "mature", "won_back")
LEAVING_STAGES = ("churned", "declining")


@dataclass(frozen=True)
class Targets:
    """What a run must reach on the demo company (issue 11)."""

    churned_truly_gone: float = 0.95
    active_truly_alive: float = 0.95  # growing, mature and won back, each
    gone_in_leaving_stages: float = 0.90  # recall of truly gone buyers in churned ∪ declining
    churn_risk_ece: float = 0.03


def check_run(
    conn: Connection,
    truth: Truth,
    run_id: int | None = None,
    *,
    horizon_days: int = 90,
    timezone: str = "UTC",
) -> dict[str, Any]:
    """Compare run ``run_id`` (default: the latest) with the truth; return the report as data.

    The churn label looks ``horizon_days`` ahead unless the run kept its churn model's own.
    """
    run_id = run_id or runs.latest_run(conn)
    if run_id is None:
        raise NotFound("no scoring run yet: run `tenure score` (or `tenure demo`) first")
    try:
        record = runs.run_record(conn, run_id)
    except NoResultFound:
        raise NotFound(f"no scoring run {run_id}: `tenure report runs` lists them") from None
    as_of = _as_date(record["as_of"])
    results = outcomes.run_results(conn, run_id)
    joined = results.join(truth.state(as_of), on="external_id", how="inner")
    if joined.is_empty():
        raise NotFound(f"run {run_id} scored none of the customers in this truth file")
    targets = Targets()
    report: dict[str, Any] = {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "profile": truth.config.profile,
        "customers": joined.height,
        "targets": asdict(targets),
        "stages": _stages(joined),
        "gone_in_leaving_stages": _recall(joined),
        "p_alive": _probability(joined, "p_alive", "alive"),
    }
    # the horizon the run's churn model was trained for, where it kept one
    kept = ((record.get("counts") or {}).get("churn") or {}).get("horizon_days")
    horizon_days = int(kept or horizon_days)
    label = _churn_label(conn, truth, joined, as_of, horizon_days, timezone)
    report["churn_risk"] = (
        {"skipped": label}
        if isinstance(label, str)
        else _probability(joined.with_columns(label), "churn_risk", "churned_after")
    )
    report["churn_risk"]["horizon_days"] = horizon_days
    report["clv"] = _clv(joined, truth, as_of, record)
    report["sequences"] = planted_sequences(conn, truth, run_id)
    report["invariants"] = invariants(conn, joined, as_of, record, timezone)
    report["verdicts"] = verdicts(report, targets)
    return report


def planted_sequences(conn: Connection, truth: Truth, run_id: int) -> list[dict[str, Any]]:
    """Return each planted sequence beside what the run found of it (found, lag, rank)."""
    rows = []
    for planted in truth.sequences:
        level = planted["level"]
        found, _ = cross_sell_repo.pairs(conn, run_id, level=level, limit=100_000)
        ranked = [(p["a"], p["b"]) for p in found]
        pair = (planted["a"], planted["b"])
        match = found[ranked.index(pair)] if pair in ranked else None
        rows.append(
            {
                "level": level,
                "a": planted["a"],
                "b": planted["b"],
                "planted_customers": planted["customers"],
                "planted_lag_days": planted["lag_days"],
                "found": match is not None,
                "rank": ranked.index(pair) + 1 if match else None,
                "found_lag_median": match["lag_median"] if match else None,
                "found_share": match["share"] if match else None,
                "z": match["z"] if match else None,
            }
        )
    return rows


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _stages(joined: pl.DataFrame) -> list[dict[str, Any]]:
    per = joined.group_by("stage").agg(
        pl.len().alias("customers"),
        pl.col("bought").sum().alias("buyers"),
        pl.col("alive").sum().alias("alive"),
        pl.col("gone").sum().alias("gone"),
    )
    found = {row["stage"]: row for row in per.iter_rows(named=True)}
    rows = []
    for stage in STAGES:
        row = found.get(stage)
        if row is None:
            rows.append({"stage": stage, "customers": 0, "truly_alive": None, "truly_gone": None})
            continue
        buyers = 0 if stage == "potential" else row["buyers"]  # leads: no paid purchase
        rows.append(
            {
                "stage": stage,
                "customers": row["customers"],
                "buyers": buyers,
                "truly_alive": row["alive"] / buyers if buyers else None,
                "truly_gone": row["gone"] / buyers if buyers else None,
            }
        )
    return rows


def _recall(joined: pl.DataFrame) -> dict[str, Any]:
    # buyers as the store knows them: a customer whose only orders were refunded or cancelled
    # has no paid purchase, so the run rightly sees a lead (potential), whatever the truth says
    all_gone = joined.filter(pl.col("gone"))
    gone = all_gone.filter(pl.col("stage") != "potential")
    caught = gone.filter(pl.col("stage").is_in(LEAVING_STAGES)).height
    by_stage = dict(gone.group_by("stage").len().iter_rows())
    missed = gone.filter(~pl.col("stage").is_in(LEAVING_STAGES))
    return {
        # the ceiling: a customer who left days ago has not yet missed a purchase or a visit
        "missed_gone_within_30_days": missed.filter(pl.col("gone_days") <= 30).height,
        "missed": missed.height,
        "truly_gone": gone.height,
        "without_paid_purchase": all_gone.height - gone.height,
        "in_churned_or_declining": caught,
        "recall": caught / gone.height if gone.height else None,
        "gone_by_stage": {s: int(by_stage.get(s, 0)) for s in STAGES if by_stage.get(s)},
    }


def _probability(joined: pl.DataFrame, score: str, outcome: str) -> dict[str, Any]:
    scored = joined.filter(pl.col(score).is_not_null() & pl.col(outcome).is_not_null())
    if scored.is_empty():
        return {"skipped": f"the run gave no {score}"}
    return calibration(
        scored[outcome].cast(pl.Float64).to_numpy(), scored[score].clip(0.0, 1.0).to_numpy()
    )


def _churn_label(
    conn: Connection,
    truth: Truth,
    joined: pl.DataFrame,
    as_of: date,
    horizon_days: int,
    timezone: str,
) -> pl.Series | str:
    """Return churned_after (1: no paid order and no activity in days d+1 … d+H), or why not."""
    last = as_of + timedelta(days=horizon_days)
    future = truth.next_active_day()
    beyond = last > truth.config.end  # the store holds every day up to the end day
    simulated = truth.config.days + truth.config.future_days
    if beyond and (future is None or truth.day_index(last) > simulated):
        return (
            f"the {horizon_days} days after {as_of} reach beyond what this truth file "
            "simulated: check a run at least that long before its end"
        )
    start, stop = (
        start_of_day(as_of + timedelta(days=1), timezone),
        start_of_day(last + timedelta(days=1), timezone),
    )
    active = joined["customer_id"].is_in(outcomes.active_between(conn, start, stop).implode())
    if beyond and future is not None:
        # the future begins after the end day: (end, d + H] in the truth's days
        by_id = truth.customers.select(pl.col("customer_id").alias("external_id")).with_columns(
            (future < truth.day_index(last)).fill_null(False).alias("later")
        )
        later = joined.select("external_id").join(by_id, on="external_id", how="left")["later"]
        active = active | later.fill_null(False)
    return (~active).cast(pl.Int8).alias("churned_after")


def _clv(joined: pl.DataFrame, truth: Truth, as_of: date, record: dict[str, Any]) -> dict[str, Any]:
    value = (record.get("counts") or {}).get("value") or {}
    if "margin" not in value or truth.config.profile != "ecommerce":
        why = (
            "the run fitted no value model"
            if "margin" not in value
            else "subscription revenue follows contracts, not the purchase process: not checked"
        )
        return {"skipped": why}
    expected = truth.expected_value(
        as_of, value["margin"], value["monthly_discount_rate"], value["horizon_months"]
    )
    ids = truth.customers.select(pl.col("customer_id").alias("external_id"), expected)
    both = joined.filter(pl.col("bought") & pl.col("clv").is_not_null()).join(ids, on="external_id")
    predicted, true = both["clv"].to_numpy(), both["true_clv"].to_numpy()
    return {
        "buyers": both.height,
        "equity_predicted": float(predicted.sum()),
        "equity_true": float(true.sum()),
        "equity_error": float(predicted.sum() / true.sum() - 1) if true.sum() else None,
        "mean_absolute_error": float(np.abs(predicted - true).mean()),
        "mean_true": float(true.mean()),
        "correlation": float(np.corrcoef(predicted, true)[0, 1]) if both.height > 2 else None,
    }


def invariants(
    conn: Connection, joined: pl.DataFrame, as_of: date, record: dict[str, Any], timezone: str
) -> list[dict[str, Any]]:
    """Count the customers who break each invariant of docs/stages.md (all should be 0)."""
    stages = (record.get("parameters") or {}).get("stages") or {}
    if (record.get("parameters") or {}).get("preset") != "ecommerce":
        return []  # the subscription rules follow contracts: these are the shop's promises
    stop = start_of_day(as_of + timedelta(days=1), timezone)
    last = outcomes.last_purchases(conn, stop).with_columns(
        (pl.lit(stop) - pl.col("last_paid_at")).dt.total_days().alias("days_since_paid")
    )
    frame = joined.join(last, on="customer_id", how="left")
    recent, quiet = stages.get("recent_purchase_days", 14), stages.get("churned_min_days", 60)
    learned = ((record.get("counts") or {}).get("value") or {}).get("p_alive_source")
    # a learned P(alive) alone churns a customer (below churned_p_alive); else silence may,
    # but never one the transaction model thinks likely alive
    floor = stages.get("churned_p_alive" if learned == "churn_model" else "declining_p_alive")
    low = stages.get("declining_p_alive", 0.5)
    checks = [
        (
            f"no declining customer bought within the last {recent} days",
            (pl.col("stage") == "declining") & (pl.col("days_since_paid") <= recent),
        ),
        (
            f"no churned customer bought within the last {quiet} days",
            (pl.col("stage") == "churned") & (pl.col("days_since_paid") <= quiet),
        ),
        (
            f"no churned customer has P(alive) ≥ {floor}",
            (pl.col("stage") == "churned") & (pl.col("p_alive") >= floor),
        ),
        (
            f"no new, growing, mature or won-back customer has P(alive) < {low} unless they "
            f"bought within the last {recent} days",
            pl.col("stage").is_in(["new", "growing", "mature", "won_back"])
            & (pl.col("p_alive") < low)
            & (pl.col("days_since_paid") > recent),
        ),
        (
            "no churned or potential customer carries a churn risk",
            pl.col("stage").is_in(["churned", "potential"]) & pl.col("churn_risk").is_not_null(),
        ),
    ]
    return [
        {"invariant": text, "violations": frame.filter(broken.fill_null(False)).height}
        for text, broken in checks
    ]


def verdicts(report: dict[str, Any], targets: Targets) -> list[dict[str, Any]]:
    """Return each target with the figure measured and whether it is met."""
    by_stage = {row["stage"]: row for row in report["stages"]}
    churned = by_stage["churned"]["truly_gone"]
    rows = [_verdict("churned truly gone", churned, targets.churned_truly_gone)]
    rows += [
        _verdict(f"{s} truly alive", by_stage[s]["truly_alive"], targets.active_truly_alive)
        for s in ACTIVE_STAGES
    ]
    rows.append(
        _verdict(
            "truly gone buyers in churned ∪ declining",
            report["gone_in_leaving_stages"]["recall"],
            targets.gone_in_leaving_stages,
        )
    )
    churn = report["churn_risk"]
    rows.append(_verdict("churn risk ECE", churn.get("ece"), targets.churn_risk_ece, at_most=True))
    return rows


def _verdict(
    name: str, value: float | None, target: float, at_most: bool = False
) -> dict[str, Any]:
    met = None if value is None else (value <= target if at_most else value >= target)
    return {"target": name, "value": value, "goal": target, "at_most": at_most, "met": met}


def check_playbooks(
    conn: Connection, effects: dict[str, dict[str, Any]], margin_share: float
) -> list[dict[str, Any]]:
    """Measure each demo playbook as of its true effect's day; put the truth beside it.

    ``effects`` is what ``tenure demo`` wrote to effects.json (``tenure.demo.responses``): per
    playbook, the true uplift of its primary metric (the goal rate) over the enrollments
    measured as of ``as_of`` with a window of ``window_days``. The estimate is the playbook
    report's own (``tenure.domains.automation.measure``), over the same enrollments. No target:
    a 95% interval misses the truth one time in twenty (the slow coverage test counts how often).
    """
    from tenure.domains.automation.measure import measure

    rows = []
    for name, truth in effects.items():
        try:
            measured = measure(
                conn,
                name,
                margin_share=margin_share,
                now=datetime.fromisoformat(truth["as_of"]),
                window_days=int(truth["window_days"]),
            )
        except NotFound:
            continue
        rate = measured.goal_rate
        true = truth["true_uplift"]
        covered = None if rate is None or true is None else bool(rate.low <= true <= rate.high)
        rows.append(
            {
                "playbook": name,
                "metric": measured.primary,
                "story": truth["story"],
                "as_of": truth["as_of"],
                "window_days": measured.window_days,
                "treated": measured.measured_treated,
                "holdout": measured.measured_holdout,
                "estimate": None if rate is None else rate.difference,
                "low": None if rate is None else rate.low,
                "high": None if rate is None else rate.high,
                "true_uplift": true,
                "response_probability": truth["response_probability"],
                "covered": covered,
            }
        )
    return rows
