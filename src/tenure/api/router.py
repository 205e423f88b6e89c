"""All of /api/v1 in one router."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Engine

from tenure.api import (
    cross_sell,
    customers,
    dry_runs,
    events,
    loyalty,
    messages,
    playbook_report,
    playbooks,
    runs,
    segments,
    surveys,
    tasks,
    writes,
)
from tenure.api.auth import PREFIX
from tenure.kit.settings import Settings
from tenure.worker.server import ServerWorker


def api_router(engine: Engine, settings: Settings, worker: ServerWorker) -> APIRouter:
    """Build the /api/v1 routes on ``engine``; ``worker`` carries out requested runs."""
    router = APIRouter(prefix=PREFIX)
    writes.configure(engine, settings.server.write_threads, settings.database.busy_timeout_seconds)
    customers.routes(engine, settings, router)
    events.routes(engine, router)
    tasks.routes(engine, settings, router)
    segments.routes(engine, router)
    playbooks.routes(engine, settings, router)
    playbook_report.routes(engine, settings, router)
    dry_runs.routes(engine, settings, worker, router)
    messages.routes(engine, settings, router)
    runs.routes(engine, settings, worker, router)
    surveys.routes(engine, settings, router)
    loyalty.routes(engine, router)
    cross_sell.routes(engine, settings, router)
    return router
