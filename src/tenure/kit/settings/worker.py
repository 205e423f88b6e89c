"""The worker that does the background work: ``[worker]``."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, Field


class WorkerSettings(BaseModel):
    """The worker that does the background work (``tenure worker``, or inside ``tenure serve``)."""

    in_server: bool = Field(
        default=True,
        description="Run a worker on a thread of `tenure serve`. Turn it off where `tenure "
        "worker` runs as its own process (several servers, or PostgreSQL).",
    )
    daily_run: bool = Field(
        default=True, description="Score the store every day at `daily_run_at`."
    )
    daily_run_at: time = Field(
        default=time(2, 0), description="When the daily scoring run starts, business time."
    )
    poll_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="How often an idle worker looks for work."
    )
    lease_seconds: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="How long after a worker stops answering (killed, machine lost) another "
        "one takes over its work.",
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="A scoring run whose worker dies this many times is given up.",
    )
