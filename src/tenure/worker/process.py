"""The worker: the background work of a store, done by one loop that holds a lease.

Each *tick* renews the worker's lease, starts the schedule's due jobs (the daily scoring
run), carries out the queued scoring runs, oldest first, then enrolls customers in playbooks
from the event feed and runs the playbook steps that are due. Nothing waits in memory: a queued
run, a schedule slot and (with playbooks) a waiting step are rows, so a worker that is killed
loses nothing — the next one finds the rows, and takes over a run whose worker's lease ran out.

``tenure worker`` runs it as its own process; ``tenure serve`` runs one on a thread of the
server unless told not to. On SQLite exactly one worker may hold a live lease: a second one
says which worker is running and stops. On PostgreSQL several share the work.

Time comes from an injected clock (``tenure.kit.clock``), so tests freeze and move it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from tenure.domains.audit import service as audit
from tenure.domains.scheduling import repository as schedule
from tenure.domains.scoring import failures, requests
from tenure.domains.surveys import followups
from tenure.kit.clock import Clock, SystemClock
from tenure.kit.errors import TenureError
from tenure.kit.settings import Settings
from tenure.storage.engine import retry_when_busy
from tenure.worker import dry_runs, playbooks
from tenure.worker.playbooks import PlaybookTick
from tenure.worker.runs import score

log = logging.getLogger(__name__)

DAILY_RUN = "daily_run"


class AnotherWorkerRuns(TenureError):
    """SQLite allows one worker, and one is alive."""

    def __init__(self, other: schedule.LiveWorker) -> None:
        super().__init__(
            f"another worker is running on this store: {other.worker_id} "
            f"(host {other.host}, pid {other.pid}, since {other.started_at:%Y-%m-%d %H:%M} UTC). "
            "SQLite allows one worker; stop it first, or wait until its lease runs out "
            f"({other.expires_at:%H:%M:%S} UTC) if it was killed."
        )
        self.other = other


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker paces itself."""

    lease: timedelta = timedelta(seconds=60)  # others take over this long after a crash
    poll_seconds: float = 5.0  # how often an idle worker looks for work
    daily_run_at: time | None = time(2, 0)  # the daily scoring run, business time; None: off
    max_attempts: int = 3  # a run that loses its worker this often is given up

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        """Return the options the settings' ``worker`` section gives."""
        section = settings.worker
        return cls(
            lease=timedelta(seconds=section.lease_seconds),
            poll_seconds=section.poll_seconds,
            daily_run_at=section.daily_run_at if section.daily_run else None,
            max_attempts=section.max_attempts,
        )


@dataclass
class Tick:
    """What one tick did."""

    scheduled: list[str] = field(default_factory=list)  # jobs whose slot came
    runs_done: list[int] = field(default_factory=list)  # request ids
    runs_failed: list[int] = field(default_factory=list)
    playbooks: PlaybookTick = field(default_factory=PlaybookTick)
    escalated: int = 0  # survey follow-ups past their SLA handed to the team lead
    dry_runs: list[int] = field(default_factory=list)  # dry runs on history walked

    @property
    def busy(self) -> bool:
        """True if the tick did any work (the next one may find more)."""
        return bool(
            self.scheduled
            or self.runs_done
            or self.runs_failed
            or self.playbooks.busy
            or self.escalated
            or self.dry_runs
        )


def daily_slot(now: datetime, at: time, timezone: str) -> datetime:
    """Return the latest instant not after ``now`` at which the local clock read ``at``."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    slot = datetime.combine(local.date(), at, tzinfo=zone)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=zone)
    return slot.astimezone(now.tzinfo)


def _dead_here(other: schedule.LiveWorker) -> bool:
    """Tell whether ``other`` ran on this machine in a process that no longer exists."""
    if other.host != socket.gethostname() or other.pid == os.getpid():
        return False
    try:
        os.kill(other.pid, 0)  # signal 0: is there such a process (ours or not)?
    except ProcessLookupError:
        return True
    except OSError:  # it exists, run by another user
        return False
    return False


class Worker:
    """One worker: ``start`` takes its lease, ``tick`` works, ``stop`` gives the lease back."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Clock | None = None,
        options: WorkerOptions | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.options = options or WorkerOptions.from_settings(settings)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._started = False

    @property
    def alone(self) -> bool:
        """True where only one worker may run (SQLite)."""
        return self.engine.dialect.name != "postgresql"

    def start(self) -> None:
        """Take this worker's lease; raise ``AnotherWorkerRuns`` if SQLite has a worker already.

        Then recover the runs left "running" by workers that are gone (``recover``).
        """
        now = self.clock.now()
        other = self._register(now)
        if other is not None:
            raise AnotherWorkerRuns(other)
        self._started = True
        log.info("worker %s started", self.worker_id)
        self.recover(now)

    def recover(self, now: datetime) -> requests.Recovered:
        """Re-queue the runs whose worker is gone (a server killed mid-run, say); return which.

        Those that have lost ``max_attempts`` workers are given up, with the reason.
        """

        def look(conn: Connection) -> requests.Recovered:
            workers = schedule.live_workers(conn, now)
            dead = [w.worker_id for w in workers if _dead_here(w)]
            for worker_id in dead:  # a process of this machine that is gone holds nothing
                schedule.release(conn, worker_id, now)
            live = [w.worker_id for w in workers if w.worker_id not in dead]
            return requests.recover_abandoned(
                conn,
                now,
                self.options.max_attempts,
                dead=dead,
                live=live if self.alone else None,
            )

        found = retry_when_busy(self.engine, look)
        for request_id in found.requeued:
            log.warning("run request %s had lost its worker: queued again", request_id)
        for request_id in found.given_up:
            log.warning("run request %s lost its worker too often: given up", request_id)
        return found

    def _register(self, now: datetime) -> schedule.LiveWorker | None:
        """Take a lease under this worker's id; return the live worker that refused it.

        A worker of this machine whose process is gone (the server was killed, say) holds its
        lease no longer: it ends now instead of when it runs out, so a restart carries on at
        once.
        """

        def take(conn: Connection) -> schedule.LiveWorker | None:
            while True:
                other = schedule.register(
                    conn,
                    self.worker_id,
                    socket.gethostname(),
                    os.getpid(),
                    now,
                    self.options.lease,
                    alone=self.alone,
                )
                if other is None or not _dead_here(other):
                    return other
                log.warning(
                    "worker %s (pid %s on this machine) is gone: its lease ends now",
                    other.worker_id,
                    other.pid,
                )
                schedule.release(conn, other.worker_id, now)

        return retry_when_busy(self.engine, take)

    def stop(self) -> None:
        """Give the lease back, so another worker may start at once."""
        if not self._started:
            return
        now = self.clock.now()
        retry_when_busy(self.engine, lambda conn: schedule.release(conn, self.worker_id, now))
        self._started = False
        log.info("worker %s stopped", self.worker_id)

    def wake(self) -> None:
        """Cut an idle wait short: there is new work (a run was asked for)."""
        self._wake.set()

    def tick(self) -> Tick:
        """Renew the lease, start what the schedule says is due, run the queued runs."""
        if not self._started:
            raise RuntimeError("start the worker before its first tick")
        done = Tick()
        self._renew()
        if self._daily_run_due():
            done.scheduled.append(DAILY_RUN)
        while (claimed := self._claim_run()) is not None:
            if self._run(claimed):
                done.runs_done.append(claimed.request_id)
            else:
                done.runs_failed.append(claimed.request_id)
        # after the runs: their stage changes are in the feed for the triggers
        done.playbooks = playbooks.tick(self.engine, self.settings, self.clock)
        now = self.clock.now()
        done.escalated = retry_when_busy(self.engine, lambda conn: followups.escalate(conn, now))
        # last: one dry run on history a tick (it may take a minute; the next tick takes the next)
        walked = dry_runs.walk_one(
            self.engine,
            self.settings,
            self.clock,
            self.worker_id,
            self.options.lease,
            self.options.max_attempts,
            lambda conn: schedule.renew(conn, self.worker_id, self.clock.now(), self.options.lease),
        )
        if walked is not None:
            done.dry_runs.append(walked)
        return done

    def run_until(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set, waiting ``poll_seconds`` between idle ticks."""
        while not stop.is_set():
            try:
                busy = self.tick().busy
            except AnotherWorkerRuns:
                raise  # this worker lost the store to another one: it stops
            except Exception:  # a tick that fails is logged; the next one tries again
                log.exception("worker %s: a tick failed", self.worker_id)
                busy = False
            if not busy and not stop.is_set():
                self._wake.clear()
                self.clock.sleep(self.options.poll_seconds, self._wake)

    # the steps of a tick

    def _renew(self) -> None:
        now = self.clock.now()
        kept = retry_when_busy(
            self.engine,
            lambda conn: schedule.renew(conn, self.worker_id, now, self.options.lease),
        )
        if kept:
            return
        # paused longer than its lease (a suspended machine): another worker may have started
        log.warning("worker %s: its lease had run out", self.worker_id)
        self.worker_id = f"{self.worker_id.rsplit('~', 1)[0]}~{uuid.uuid4().hex[:4]}"
        other = self._register(now)
        if other is not None:  # on SQLite the other one goes on alone
            self._started = False
            raise AnotherWorkerRuns(other)

    def _daily_run_due(self) -> bool:
        at = self.options.daily_run_at
        if at is None:
            return False
        now = self.clock.now()
        timezone = self.settings.business.timezone
        slot = daily_slot(now, at, timezone)
        day = slot.astimezone(ZoneInfo(timezone)).date()

        def take(conn: Connection) -> bool:
            first = schedule.last_slot(conn, DAILY_RUN) is None
            if not schedule.take_slot(conn, DAILY_RUN, slot, now):
                return False
            if first:  # a new store is scored by whoever set it up; the schedule starts now
                return False
            requests.request_run(conn, audit.SYSTEM, day)
            return True

        taken = bool(retry_when_busy(self.engine, take))
        if taken:
            log.info("worker %s: the daily run as of %s is queued", self.worker_id, day)
        return taken

    def _claim_run(self) -> requests.Claimed | None:
        now = self.clock.now()
        return retry_when_busy(
            self.engine,
            lambda conn: requests.claim_next(
                conn, self.worker_id, now, self.options.lease, self.options.max_attempts
            ),
        )

    def _run(self, claimed: requests.Claimed) -> bool:
        with self._heartbeat(claimed.request_id):
            try:
                result = score(self.engine, claimed.as_of, self.settings)
            except Exception as exc:  # reported to whoever polls, not lost
                kind = failures.classify(exc)
                log.exception(
                    "scoring run request %s as of %s failed (%s)",
                    claimed.request_id,
                    claimed.as_of,
                    kind,
                )
                self._finish(claimed.request_id, error=kind)
                return False
        self._finish(claimed.request_id, run_id=result.run_id)
        return True

    def _finish(
        self, request_id: int, *, run_id: int | None = None, error: str | None = None
    ) -> None:
        retry_when_busy(
            self.engine,
            lambda conn: requests.finish(conn, request_id, run_id=run_id, error=error),
        )

    def _renew_both(self, conn: Connection, request_id: int) -> None:
        now, lease = self.clock.now(), self.options.lease
        schedule.renew(conn, self.worker_id, now, lease)
        if not requests.renew_lease(conn, request_id, self.worker_id, now, lease):
            log.warning("worker %s: run request %s was taken over", self.worker_id, request_id)

    @contextmanager
    def _heartbeat(self, request_id: int) -> Iterator[None]:
        """Renew the worker's and the request's leases while a run works (a minute or more)."""
        stop = threading.Event()
        interval = max(self.options.lease.total_seconds() / 3, 0.05)

        def beat() -> None:
            # real seconds between beats even under a frozen clock: the clock only says
            # what time the leases are measured from
            while not stop.wait(interval):
                try:
                    retry_when_busy(self.engine, lambda conn: self._renew_both(conn, request_id))
                except Exception:  # the next beat tries again
                    log.exception("worker %s: could not renew its leases", self.worker_id)

        thread = threading.Thread(target=beat, name="tenure-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
