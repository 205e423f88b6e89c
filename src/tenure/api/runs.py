"""Scoring runs and what they found: list, trigger and follow a run; KPIs and cohorts."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tenure.api.auth import PREFIX, Guard, audit_actor, caller
from tenure.api.params import PathId
from tenure.domains.scoring import reports as scoring
from tenure.domains.scoring import requests
from tenure.domains.users.permissions import Permission as P
from tenure.domains.users.permissions import allows
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction
from tenure.worker.server import ServerWorker


class RunOrder(BaseModel):
    """Which day to score as of; today in the business time zone by default."""

    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(None, description="YYYY-MM-DD")


def routes(engine: Engine, settings: Settings, worker: ServerWorker, router: APIRouter) -> None:
    """Add the run, KPI and cohort routes to ``router``."""
    guard = Guard(engine, router)

    @guard.route("GET", "/runs", P.READ_REPORTS)
    def list_runs(limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        """List the scoring runs, newest day first, with their timings and the models' quality."""
        with engine.connect() as conn:
            return {"items": scoring.run_list(conn, limit)}

    @guard.route("POST", "/runs", P.RUN_SCORING, status_code=202)
    def start_run(body: RunOrder, request: Request) -> dict[str, Any]:
        """Queue a scoring run; poll `status_url` until `status` is done or failed."""
        day = body.as_of or business_today(settings.business.timezone)
        with write_transaction(engine) as conn:
            request_id = requests.request_run(conn, audit_actor(request), day)
        worker.wake()
        return {
            "id": request_id,
            "as_of": day,
            "status": "queued",
            "status_url": f"{PREFIX}/runs/requests/{request_id}",
        }

    @guard.route("GET", "/runs/requests/{request_id}", P.READ_REPORTS)
    def run_status(request_id: PathId) -> dict[str, Any]:
        """Return a requested run's status (queued, running, done, failed), run id or error."""
        with engine.connect() as conn:
            return requests.get(conn, request_id)

    @guard.route("GET", "/kpis", P.READ_REPORTS)
    def latest_kpis(request: Request) -> dict[str, Any]:
        """Return the KPIs of the latest scoring run (docs/metrics.md).

        Callers without ``read_spend`` get them without spend, CAC and ROI (docs/security.md).
        """
        with engine.connect() as conn:
            found = scoring.kpi_report(conn)
        if found is None:
            raise HTTPException(404, "no scoring run yet: run `tenure score`")
        who = caller(request)
        if not allows(who.role, P.READ_SPEND, who.scopes):
            return scoring.without_spend(found)
        return found

    @guard.route("GET", "/cohorts", P.READ_REPORTS)
    def cohorts() -> dict[str, Any]:
        """Return the latest run's monthly cohort retention matrix (docs/metrics.md)."""
        with engine.connect() as conn:
            found = scoring.kpi_report(conn)
        if found is None:
            raise HTTPException(404, "no scoring run yet: run `tenure score`")
        return {"run_id": found["run_id"], "as_of": found["as_of"], **found["cohorts"]}
