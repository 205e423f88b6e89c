"""The worker: one lease per SQLite store, a schedule on a frozen clock, runs taken over after
their worker dies (including a real ``kill -9``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest
from sqlalchemy import Engine, delete, func, select, update

from tenure.domains.audit.service import SYSTEM
from tenure.domains.scheduling.models import ScheduleSlot, WorkerLease
from tenure.domains.scoring import failures, requests
from tenure.domains.scoring.models import RunRequest
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import Settings
from tenure.worker.process import DAILY_RUN, AnotherWorkerRuns, Worker, WorkerOptions, daily_slot
from tests.worker.conftest import END, Store

OPTIONS = WorkerOptions(lease=timedelta(seconds=30), daily_run_at=clock_time(2, 0))


@pytest.fixture
def clean(store: Store) -> Iterator[Engine]:
    """The store with no worker alive, no schedule and no pending request, before and after."""

    def reset() -> None:
        with store.engine.begin() as conn:
            conn.execute(delete(WorkerLease))
            conn.execute(delete(ScheduleSlot))
            conn.execute(
                update(RunRequest)
                .where(RunRequest.status.in_(["queued", "running"]))
                .values(status="failed", error=failures.UNEXPECTED)
            )

    reset()
    yield store.engine
    reset()


def _request(engine: Engine, day: object) -> int:
    with engine.begin() as conn:
        return requests.request_run(conn, SYSTEM, day)  # type: ignore[arg-type]


def _status(engine: Engine, request_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        return requests.get(conn, request_id)


def test_the_daily_slot_is_the_last_time_the_local_clock_read_the_hour() -> None:
    at = clock_time(2, 0)
    # 01:30 in Shanghai is 17:30 UTC the day before: the slot is the previous day's 02:00
    shanghai = "Asia/Shanghai"  # UTC+8
    assert daily_slot(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), at, shanghai) == datetime(
        2026, 2, 28, 18, 0, tzinfo=UTC
    )
    assert daily_slot(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), at, shanghai) == datetime(
        2026, 3, 1, 18, 0, tzinfo=UTC
    )
    assert daily_slot(datetime(2026, 3, 1, 1, 59, tzinfo=UTC), at, "UTC") == datetime(
        2026, 2, 28, 2, 0, tzinfo=UTC
    )


def test_sqlite_allows_one_worker_postgresql_several(clean: Engine) -> None:
    clock = FrozenClock(datetime(2026, 4, 1, 12, tzinfo=UTC))
    first = Worker(clean, Settings(), clock=clock, options=OPTIONS, worker_id="first")
    second = Worker(clean, Settings(), clock=clock, options=OPTIONS, worker_id="second")
    first.start()
    if clean.dialect.name == "sqlite":
        with pytest.raises(AnotherWorkerRuns, match="another worker is running.*first"):
            second.start()
        clock.advance(timedelta(seconds=31))  # the first died without a word: its lease ends
        second.start()
        with pytest.raises(AnotherWorkerRuns, match="second"):  # it was only paused: it yields
            first.tick()
        second.stop()
    else:
        second.start()
        second.stop()
    first.stop()
    third = Worker(clean, Settings(), clock=clock, options=OPTIONS, worker_id="third")
    third.start()  # a clean stop frees the store at once
    third.stop()


def test_the_daily_run_starts_once_a_day_from_the_second_day(clean: Engine) -> None:
    # the default business time zone is UTC
    clock = FrozenClock(datetime(2026, 4, 1, 10, tzinfo=UTC))
    worker = Worker(clean, Settings(), clock=clock, options=OPTIONS, worker_id="scheduler")
    worker.start()
    try:
        assert not worker.tick().busy  # the first start only sets the schedule
        clock.set(datetime(2026, 4, 2, 1, 59, tzinfo=UTC))  # 01:59 the next day: not yet
        assert not worker.tick().busy
        clock.set(datetime(2026, 4, 2, 2, 0, 1, tzinfo=UTC))
        done = worker.tick()
        assert done.scheduled == [DAILY_RUN] and len(done.runs_done) == 1
        assert not worker.tick().busy  # once per slot, however many ticks
        status = _status(clean, done.runs_done[0])
        assert status["status"] == "done" and str(status["as_of"])[:10] == "2026-04-02"
        assert status["requested_by"] is None  # the system asked
        # a second worker (PostgreSQL) at the same instant finds the slot taken
        if clean.dialect.name == "postgresql":
            other = Worker(clean, Settings(), clock=clock, options=OPTIONS, worker_id="other")
            other.start()
            assert not other.tick().busy
            other.stop()
    finally:
        worker.stop()
    with clean.connect() as conn:
        slot = conn.execute(select(ScheduleSlot.last_slot)).scalar_one()
    assert slot == datetime(2026, 4, 2, 2, 0, tzinfo=UTC)


def test_a_run_whose_worker_died_is_taken_over_after_its_lease(clean: Engine) -> None:
    clock = FrozenClock(datetime(2026, 4, 3, 12, tzinfo=UTC))
    request_id = _request(clean, END - timedelta(days=20))
    with clean.begin() as conn:  # a worker claims it, then dies without a word
        claimed = requests.claim_next(conn, "dead", clock.now(), OPTIONS.lease, 3)
    assert claimed is not None and claimed.request_id == request_id and claimed.attempt == 1
    options = WorkerOptions(lease=OPTIONS.lease, daily_run_at=None)
    worker = Worker(clean, Settings(), clock=clock, options=options, worker_id="heir")
    worker.start()
    try:
        assert not worker.tick().busy  # the lease still runs: the run is not up for grabs
        clock.advance(timedelta(seconds=31))
        assert worker.tick().runs_done == [request_id]
    finally:
        worker.stop()
    with clean.connect() as conn:
        row = conn.execute(
            select(RunRequest.status, RunRequest.attempts, RunRequest.lease_owner).where(
                RunRequest.id == request_id
            )
        ).one()
    # the heir's own lease ran out too under the frozen clock: it renewed it under a new id
    assert (row.status, row.attempts) == ("done", 2) and row.lease_owner.startswith("heir")


def test_a_run_that_keeps_killing_its_worker_is_given_up(clean: Engine) -> None:
    clock = FrozenClock(datetime(2026, 4, 4, 12, tzinfo=UTC))
    request_id = _request(clean, END - timedelta(days=25))
    for attempt in range(1, 4):  # three workers take it and die
        with clean.begin() as conn:
            claimed = requests.claim_next(conn, f"dead-{attempt}", clock.now(), OPTIONS.lease, 3)
        assert claimed is not None and claimed.attempt == attempt
        clock.advance(timedelta(seconds=31))
    worker = Worker(
        clean, Settings(), clock=clock, options=WorkerOptions(daily_run_at=None), worker_id="w"
    )
    worker.start()
    try:
        assert not worker.tick().busy
    finally:
        worker.stop()
    status = _status(clean, request_id)
    assert status["status"] == "failed" and status["error"] == failures.WORKER_LOST
    assert status["reason"] == failures.REASONS[failures.WORKER_LOST]


def _tenure(*args: str, url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", *args],
        env={**os.environ, "TENURE_DATABASE_URL": url, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_during_a_run_then_another_worker_finishes_it(store: Store, clean: Engine) -> None:
    # a real process, killed in the middle of a real run; the next one takes it over
    request_id = _request(clean, END - timedelta(days=10))
    fast = {"TENURE_WORKER__LEASE_SECONDS": "15", "TENURE_WORKER__DAILY_RUN": "false"}
    doomed = _tenure("worker", url=store.url, **fast)
    deadline = time.monotonic() + 120  # a guard against a hang
    while _status(clean, request_id)["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(clean, request_id)["status"] == "running"
    time.sleep(0.5)  # into the run's work
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    if store.engine.dialect.name == "sqlite":  # a second worker waits for the dead one's lease
        refused = _tenure("worker", "--once", url=store.url, **fast)
        _, err = refused.communicate(timeout=60)
        assert refused.returncode == 1 and "another worker is running" in " ".join(err.split())
    with clean.connect() as conn:  # wait out the dead worker's lease
        expires = conn.execute(select(func.max(RunRequest.lease_until))).scalar_one()
    time.sleep(max((expires - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    heir = _tenure("worker", "--once", "--json", url=store.url, **fast)
    out, err = heir.communicate(timeout=600)
    assert heir.returncode == 0, err
    assert f'"runs_done": [\n    {request_id}\n  ]' in out
    status = _status(clean, request_id)
    assert status["status"] == "done" and status["run_id"] is not None
