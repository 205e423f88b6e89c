"""What the pages, the CLI and the API read of the scoring runs: read-only reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from tenure.domains.customers.reach import Owners
from tenure.domains.lifecycle import repository as lifecycle_repo
from tenure.domains.scoring import repository as repo


@dataclass
class StageReport:
    """Stage distribution of a run and the moves into it."""

    run_id: int
    as_of: date
    stages: dict[str, int]
    flow: list[tuple[str | None, str, int]]

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain data."""
        total = sum(self.stages.values()) or 1
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "stages": [
                {"stage": s, "customers": n, "share": round(n / total, 4)}
                for s, n in self.stages.items()
            ],
            "flow": [{"from": f, "to": t, "customers": n} for f, t, n in self.flow],
        }


def stage_report(conn: Connection, run_id: int | None = None) -> StageReport | None:
    """Report the latest run (or ``run_id``); None when nothing has been scored yet."""
    run_id = run_id or repo.latest_run(conn)
    if run_id is None:
        return None
    record = repo.run_record(conn, run_id)
    counts = (record["counts"] or {}).get("stages", {})
    return StageReport(
        run_id, record["as_of"], counts, lifecycle_repo.transition_flow(conn, run_id)
    )


def segment_report(conn: Connection) -> dict[str, Any] | None:
    """RFM segments and value × loyalty quadrants of the latest run, with their CLV."""
    run_id = repo.latest_run(conn)
    if run_id is None:
        return None

    def rows(column: str) -> list[dict[str, Any]]:
        return [
            {"segment": k, "customers": n, "mean_clv": round(avg, 2), "total_clv": round(total, 2)}
            for k, n, avg, total in repo.segment_rows(conn, column)
        ]

    record = repo.run_record(conn, run_id)
    return {
        "run_id": run_id,
        "as_of": record["as_of"].isoformat()
        if hasattr(record["as_of"], "isoformat")
        else str(record["as_of"]),
        "rfm_segments": rows("rfm_segment"),
        "value_quadrants": rows("value_quadrant"),
    }


def run_list(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """Return the recent runs as plain data: day, status, counts, timings, the model's fit."""
    listed = []
    for run in repo.runs(conn, limit):
        counts = run["counts"] or {}
        model = (counts.get("value") or {}).get("transaction_model") or {}
        churn = ((counts.get("churn") or {}).get("metrics") or {}).get("model") or {}
        listed.append(
            {
                "run_id": run["id"],
                "as_of": str(run["as_of"])[:10],
                "status": run["status"],
                "customers": counts.get("customers"),
                "transitions": counts.get("transitions"),
                "seconds": counts.get("seconds", {}),
                "value_model": model.get("model"),
                "log_likelihood": model.get("log_likelihood"),
                "customer_equity": (counts.get("value") or {}).get("customer_equity"),
                "churn_roc_auc": churn.get("roc_auc"),
            }
        )
    return listed


def stage_flow(
    conn: Connection, from_run: int | None = None, to_run: int | None = None
) -> dict[str, Any] | None:
    """Return the stage-to-stage flow between two runs (default: the latest and the one before)."""
    to_run = to_run or repo.latest_run(conn)
    if to_run is None:
        return None
    from_run = from_run or repo.previous_of(conn, to_run)
    if from_run is None:
        return {"from_run": None, "to_run": to_run, "flow": []}
    return {
        "from_run": from_run,
        "to_run": to_run,
        "flow": [
            {"from": a, "to": b, "customers": n}
            for a, b, n in lifecycle_repo.flow(conn, from_run, to_run)
        ],
    }


def churn_report(conn: Connection, top: int = 20) -> dict[str, Any] | None:
    """Return the latest run's churn model against its baselines, and the riskiest customers."""
    run_id = repo.latest_run(conn)
    if run_id is None:
        return None
    record = repo.run_record(conn, run_id)
    return {
        "run_id": run_id,
        "as_of": str(record["as_of"])[:10],
        "model": (record["counts"] or {}).get("churn", {}),
        "riskiest": repo.riskiest(conn, top),
    }


# KPIs renamed since earlier runs kept theirs: section → {name then: name now}
RENAMED_KPIS = {
    "base": {"churned_customers": "lapsed_customers"},
    # "historical CLV" was the margin on what buyers paid
    "value": {
        "historical_clv_total": "gross_margin_total",
        "historical_clv_mean": "gross_margin_mean",
    },
}


def kpi_report(conn: Connection, run_id: int | None = None) -> dict[str, Any] | None:
    """Return the KPIs of the latest run (or ``run_id``) with the run's id; None before any run.

    A run kept before a KPI was renamed reads back under the name of today.
    """
    run_id = run_id or repo.latest_run(conn)
    if run_id is None:
        return None
    data = repo.kpis(conn, run_id)
    if data is None:
        return None
    for section, names in RENAMED_KPIS.items():
        part = data.get(section) or {}
        for then, now in names.items():
            if then in part:
                part.setdefault(now, part.pop(then))
    return {"run_id": run_id, **data}


SPEND_FIGURES = ("spend", "cac", "roi")


def without_spend(report: dict[str, Any]) -> dict[str, Any]:
    """Return a KPI report without marketing spend, CAC and ROI (roles without read_spend).

    Every other figure, the channels' new customers and revenue included, stays.
    """
    channels = report.get("channels") or {}
    hidden = {
        part: [{k: v for k, v in row.items() if k not in SPEND_FIGURES} for row in rows]
        for part, rows in channels.items()
    }
    return {**report, "channels": hidden, "spend_hidden": True}


def recent_moves(conn: Connection, limit: int = 50, owners: Owners = None) -> list[dict[str, Any]]:
    """Return the latest run's stage moves: who, from, to, by which rule and numbers.

    ``owners``: only the customers the caller reaches ([access]; None: all).
    """
    run_id = repo.latest_run(conn)
    return [] if run_id is None else lifecycle_repo.recent_moves(conn, run_id, limit, owners)
