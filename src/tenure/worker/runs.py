"""Score the store while others write to it.

A run reads and computes in one transaction that writes nothing, and writes its results in a
second, short one (``score``): people and API clients keep writing meanwhile. On SQLite the
write-back takes the write lock before it reads anything (BEGIN IMMEDIATE), waits for other
writers' turns (the busy timeout), and is tried again from the start if the lock stays taken.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import Engine

from tenure.domains.scoring.run import RunResult, compute_run, save_run
from tenure.kit.settings import Settings
from tenure.storage.arrow import arrow_reader
from tenure.storage.engine import retry_when_busy

log = logging.getLogger(__name__)


def score(engine: Engine, as_of: date, settings: Settings) -> RunResult:
    """Score the store as of ``as_of`` while others may write to it; commit the run.

    The results are those of the store as the run read it; what is written while it
    computes counts in the next run.
    """
    with engine.connect() as conn:  # a read transaction, rolled back at the end
        computed = compute_run(conn, as_of, settings, arrow_reader(engine))
    if isinstance(computed, RunResult):
        return computed  # an equal run exists
    return retry_when_busy(engine, lambda conn: save_run(conn, computed))
