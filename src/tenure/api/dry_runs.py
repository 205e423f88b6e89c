"""Dry runs on history: ask for one (the worker walks it), and read the latest one's figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tenure.api.auth import PREFIX, Guard, audit_actor
from tenure.domains.automation import dry_run_records as records
from tenure.domains.users.permissions import Permission as P
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction
from tenure.worker.server import ServerWorker


class DryRunOrder(BaseModel):
    """The days to replay, both included."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: date = Field(alias="from", description="The first day to replay (YYYY-MM-DD).")
    last: date = Field(alias="to", description="The last day to replay (YYYY-MM-DD).")


def routes(engine: Engine, settings: Settings, worker: ServerWorker, router: APIRouter) -> None:
    """Add the dry-run routes to ``router`` (the same permission as the playbook report)."""
    guard = Guard(engine, router)

    @guard.route("POST", "/playbooks/{name}/dry-runs", P.READ_PLAYBOOKS, status_code=202)
    def request_dry_run(name: str, body: DryRunOrder, request: Request) -> dict[str, Any]:
        """Queue a dry run of the playbook on history; poll `status_url` until done or failed.

        Writes nothing but the request: the figures are an observation of what the playbook
        would have done, not its effect (docs/experiments.md).
        """
        zone = settings.business.timezone
        with write_transaction(engine) as conn:
            record_id = records.request(
                conn, audit_actor(request), name, body.first, body.last, business_today(zone), zone
            )
        worker.wake()
        return {
            "id": record_id,
            "playbook": name,
            "from": body.first,
            "to": body.last,
            "status": "queued",
            "status_url": f"{PREFIX}/playbooks/{name}/dry-runs/latest",
        }

    @guard.route("GET", "/playbooks/{name}/dry-runs/latest", P.READ_PLAYBOOKS)
    def latest_dry_run(name: str) -> dict[str, Any]:
        """Return the latest dry run of the playbook: status, range and, once done, figures."""
        with engine.connect() as conn:
            found = records.latest(conn, name)
        if found is None:
            raise HTTPException(404, f"no dry run of {name!r} yet")
        return found
