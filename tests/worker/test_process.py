"""The worker: one lease per SQLite store, a schedule on a frozen clock, runs taken over after
their worker dies (including a real ``kill -9``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest
from sqlalchemy import Engine, delete, select, update

from tenure.domains.audit.service import SYSTEM
from tenure.domains.scheduling import repository as schedule
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
    with clean.begin() as conn:  # a worker of another machine claims it, then dies silently
        schedule.register(conn, "dead", "elsewhere", 1, clock.now(), OPTIONS.lease, alone=False)
        claimed = requests.claim_next(conn, "dead", clock.now(), OPTIONS.lease, 3)
    assert claimed is not None and claimed.request_id == request_id and claimed.attempt == 1
    options = WorkerOptions(lease=OPTIONS.lease, daily_run_at=None)
    worker = Worker(clean, Settings(), clock=clock, options=options, worker_id="heir")
    if clean.dialect.name == "sqlite":  # one worker per store: the heir waits for the lease
        with pytest.raises(AnotherWorkerRuns, match="dead"):
            worker.start()
    else:
        worker.start()
        assert not worker.tick().busy  # the lease still runs: the run is not up for grabs
    clock.advance(timedelta(seconds=31))
    if clean.dialect.name == "sqlite":
        worker.start()
    try:
        assert worker.tick().runs_done == [request_id]
    finally:
        worker.stop()
    with clean.connect() as conn:
        row = conn.execute(
            select(RunRequest.status, RunRequest.attempts, RunRequest.lease_owner).where(
                RunRequest.id == request_id
            )
        ).one()
    # on PostgreSQL the heir's own lease ran out too under the frozen clock: it renewed it
    # under a new id
    assert (row.status, row.attempts) == ("done", 2) and row.lease_owner.startswith("heir")


def _gone_pid() -> int:
    """Return the id of a process of this machine that has ended."""
    probe = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    probe.wait()
    return probe.pid


def test_a_run_left_running_by_a_dead_server_is_recovered_at_start_up(clean: Engine) -> None:
    """The server was killed mid-run: at the next start its run is queued again at once (not
    after the lease), a run without any lease too, and one that lost too many workers fails."""
    clock = FrozenClock(datetime(2026, 4, 5, 12, tzinfo=UTC))
    killed = _request(clean, END - timedelta(days=12))
    leaseless = _request(clean, END - timedelta(days=14))
    doomed = _request(clean, END - timedelta(days=16))
    with clean.begin() as conn:
        # the killed server's worker: this machine, a process that has ended, its lease live
        gone = _gone_pid()
        schedule.register(
            conn, "killed", socket.gethostname(), gone, clock.now(), OPTIONS.lease, alone=False
        )
        conn.execute(
            update(RunRequest)
            .where(RunRequest.id == killed)
            .values(
                status="running",
                attempts=1,
                lease_owner="killed",
                lease_until=clock.now() + OPTIONS.lease,
            )
        )
        # "running" with no lease at all, as a version before leases left it
        conn.execute(
            update(RunRequest)
            .where(RunRequest.id == leaseless)
            .values(status="running", attempts=0, lease_owner=None, lease_until=None)
        )
        # a run that has killed its worker three times
        conn.execute(
            update(RunRequest)
            .where(RunRequest.id == doomed)
            .values(status="running", attempts=3, lease_owner="killed", lease_until=None)
        )
    options = WorkerOptions(lease=OPTIONS.lease, daily_run_at=None)
    worker = Worker(clean, Settings(), clock=clock, options=options, worker_id="restarted")
    worker.start()  # no time has passed: the dead worker's lease would still run
    try:
        assert _status(clean, killed)["status"] == "queued"
        assert _status(clean, leaseless)["status"] == "queued"
        given_up = _status(clean, doomed)
        assert given_up["status"] == "failed" and given_up["error"] == failures.WORKER_LOST
        assert given_up["reason"] == failures.REASONS[failures.WORKER_LOST]
        assert sorted(worker.tick().runs_done) == sorted([killed, leaseless])
    finally:
        worker.stop()
    with clean.connect() as conn:
        ended = conn.execute(
            select(WorkerLease.stopped_at).where(WorkerLease.worker_id == "killed")
        ).scalar_one()
    assert ended == clock.now()  # the dead worker's lease ended at the start, not later
    assert _status(clean, killed)["run_id"] is not None


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
    # the next worker finds the dead one's process gone (this machine): it takes over at
    # once, without waiting for the dead one's lease to run out
    heir = _tenure("worker", "--once", "--json", url=store.url, **fast)
    out, err = heir.communicate(timeout=600)
    assert heir.returncode == 0, err
    assert f'"runs_done": [\n    {request_id}\n  ]' in out
    status = _status(clean, request_id)
    assert status["status"] == "done" and status["run_id"] is not None
