"""The playbook engine at scale: enrolling, internal steps, email delivery, the worker's memory.

Usage: python benchmarks/playbook_bench.py [--customers 1000000] [--pg-url URL] [--runs 3]
       [--only enroll,steps,pg,email,memory] [--workdir DIR] [--no-profile]
       [--emails 20000] [--repeat-emails 5000]   (the email phase: queued, then re-sent)

Targets (the playbook engine's issue):

1. a stage trigger enrolls 100,000 customers in ≤ 10 s on a store of 1,000,000 (SQLite);
2. internal steps ≥ 2,000/s in one process on SQLite, ≥ 5,000/s with two worker processes on
   PostgreSQL — each step exactly once;
3. ≥ 500 emails/s into a real SMTP server on the loopback;
4. the worker's memory flat in the number of waiting enrollments.

The stores are synthetic and built here (customers in bulk, then the feed's events in one
transaction); every figure is a median of ``--runs``. A missed target is profiled (cProfile,
the top 15 by cumulative time). BLAS threads are pinned to one: the machine is shared.
"""

from __future__ import annotations

import os

PINNED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(PINNED)

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from datetime import time as dt_time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
OWNERS = 20
PERSON_NAME = "bench"

INTERNAL = """\
name: bench-internal
title: {en: Internal steps}
kind: service
trigger: {stage_entered: {to: [declining], from: [mature]}}
conditions: {field: email_consent, op: "=", value: true}
enrollment: {holdout: 0}
steps:
  - create_task:
      title: {en: Call them}
      checklist: [{en: Find the root cause}]
      due_in_days: 2
      assignee: {to: owner, fallback: csm}
  - add_tags: [win-back]
  - exit: true
"""

MAIL = """\
name: bench-mail
title: {en: An offer}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0}
steps:
  - send_email: {template: win-back-offer}
  - exit: true
"""

TARGETS = {
    "enroll_seconds": 10.0,
    "sqlite_steps_per_s": 2000.0,
    "pg_steps_per_s": 5000.0,
    "emails_per_s": 500.0,
}


# --------------------------------------------------------------------------- helpers


def say(text: str) -> None:
    """Print a line at once (a long run shows where it is)."""
    print(text, flush=True)


def median(values: Sequence[float]) -> float:
    """The median of a few runs."""
    return float(statistics.median(values))


def mark(value: float, target: float, *, at_most: bool = False) -> str:
    """Return "met" or "MISSED" for a figure against its target."""
    ok = value <= target if at_most else value >= target
    return "met" if ok else "MISSED"


def profile_top(work: Callable[[], Any], lines: int = 15) -> str:
    """Run ``work`` under cProfile; return the top ``lines`` functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    text = out.getvalue()
    start = text.find("   ncalls")
    return text[start:] if start >= 0 else text


def rss_mib() -> float:
    """This process's current resident memory in MiB."""
    with open("/proc/self/statm", encoding="utf-8") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    """This process's peak resident memory in MiB (VmHWM).

    Not ``getrusage``: on Linux its ``ru_maxrss`` survives ``fork`` and ``exec``, so a child
    started by a big parent reports the parent's peak.
    """
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- building stores


def fresh_sqlite(path: Path) -> Any:
    """A new, migrated SQLite store at ``path``."""
    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def fresh_pg(server_url: str) -> tuple[Any, str, str]:
    """A new, migrated PostgreSQL database; return (engine, its name, its url)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tenure.storage.engine import make_engine
    from tenure.storage.migrate import upgrade

    name = f"pbench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    return engine, name, url


def drop_pg(server_url: str, name: str) -> None:
    """Drop a benchmark database."""
    from sqlalchemy import text

    from tenure.storage.engine import make_engine

    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def add_owners(engine: Any) -> list[int]:
    """Create the ~20 users who own the customers (and a csm, the tasks' fallback)."""
    from tenure.domains.users import service as users
    from tenure.storage.engine import write_transaction

    with write_transaction(engine) as conn:
        ids = [
            users.create_user(conn, f"Owner {n}", f"owner{n}@bench.test", "sales")[0]
            for n in range(OWNERS)
        ]
        users.create_user(conn, "Fallback", "csm@bench.test", "csm")
    return ids


def add_customers(engine: Any, count: int, owners: list[int], *, consent_every: int = 10) -> float:
    """Bulk-insert ``count`` customers (ids 1…count); return the seconds it took.

    Every ``consent_every``-th has no email consent (the rest have); owners go round-robin.
    """
    import polars as pl

    from tenure.domains.customers.models import Customer
    from tenure.storage.base import table_of
    from tenure.storage.bulk import write_frame
    from tenure.storage.engine import bulk_load

    started = time.perf_counter()
    n = pl.int_range(0, count, eager=True)
    frame = pl.DataFrame(
        {
            "external_id": "c" + n.cast(pl.String),
            "name": "Customer " + n.cast(pl.String),
            "email": "c" + n.cast(pl.String) + "@example.test",
            "owner_id": pl.Series([owners[i % len(owners)] for i in range(count)], dtype=pl.Int64),
            "email_consent": (n % consent_every) != 0 if consent_every else n >= 0,
            "sms_consent": n < 0,
        }
    )
    with bulk_load(engine) as conn:
        write_frame(conn, table_of(Customer), frame, stamp=datetime.now(UTC))
    return time.perf_counter() - started


def apply(engine: Any, source: str) -> Any:
    """Publish a playbook; return its current version."""
    from tenure.domains.audit.service import Actor
    from tenure.domains.automation import enrollment, service
    from tenure.domains.automation.loading import parse
    from tenure.storage.engine import write_transaction

    with write_transaction(engine) as conn:
        service.apply(conn, Actor(None, PERSON_NAME), [parse(source, "bench.yaml")])
        name = parse(source, "bench.yaml").playbook.name
        [version] = [v for v in enrollment.current_versions(conn) if v.name == name]
    return version


def append_stage_changes(engine: Any, customer_ids: Sequence[int], tag: str) -> float:
    """Append a mature → declining ``stage_changed`` for each customer in one transaction."""
    from tenure.domains.events import feed
    from tenure.domains.events.models import EventSource, SystemEventType
    from tenure.storage.engine import write_transaction

    when = datetime.now(UTC)
    events = [
        feed.NewEvent(
            key=f"stage:{tag}:{customer_id}",
            customer_id=customer_id,
            type=SystemEventType.STAGE_CHANGED,
            occurred_at=when,
            properties={"from": "mature", "to": "declining", "rule": "bench"},
        )
        for customer_id in customer_ids
    ]
    started = time.perf_counter()
    with write_transaction(engine) as conn:
        feed.append(conn, EventSource.RUN, events)
    return time.perf_counter() - started


def enroll_all(engine: Any, version: Any, now: datetime, limit: int) -> tuple[int, int, float]:
    """Call ``enroll_from_feed`` until it enrolls nobody; return (enrolled, batches, seconds).

    Each call is its own write transaction, as the worker's are.
    """
    from tenure.domains.automation import enrollment
    from tenure.storage.engine import write_transaction

    total = batches = 0
    started = time.perf_counter()
    while True:
        with write_transaction(engine) as conn:
            got = enrollment.enroll_from_feed(conn, version, now, limit=limit)
        if not got:
            break
        total += got
        batches += 1
    return total, batches, time.perf_counter() - started


def cursor_of(engine: Any, consumer: str) -> tuple[int, int]:
    """Where a feed reader stands."""
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT tx, event_id FROM feed_cursors WHERE consumer = :c"),
            {"c": consumer},
        ).one()
    return int(row[0]), int(row[1])


def rewind(engine: Any, version: Any, position: tuple[int, int]) -> None:
    """Forget a playbook's enrollments and put its cursor back: the same work again."""
    from sqlalchemy import text

    from tenure.storage.engine import write_transaction

    with write_transaction(engine) as conn:
        conn.execute(
            text("DELETE FROM enrollments WHERE playbook_id = :p"),
            {"p": version.playbook_id},
        )
        conn.execute(
            text("UPDATE feed_cursors SET tx = :tx, event_id = :e WHERE consumer = :c"),
            {"tx": position[0], "e": position[1], "c": version.consumer},
        )


def run_steps(
    engine: Any, now: datetime, limit: int, enrollments: int | None, context: Any = None
) -> dict[str, float]:
    """Run due steps in batches of ``limit`` (a write transaction each) until ``enrollments``
    have been visited (or none is due); return what ran and how fast."""
    from tenure.domains.automation import steps
    from tenure.storage.engine import retry_when_busy

    context = context or steps.Context(timezone="UTC", language="en")
    visited = ran = failed = 0
    started, cpu = time.perf_counter(), time.process_time()
    while enrollments is None or visited < enrollments:
        batch = limit if enrollments is None else min(limit, enrollments - visited)
        report = retry_when_busy(engine, lambda conn, b=batch: steps.run_due(conn, context, now, b))
        if not report.enrollments:
            break
        visited += report.enrollments
        ran += report.steps
        failed += report.failed
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {
        "enrollments": visited,
        "steps": ran,
        "failed": failed,
        "seconds": seconds,
        "cpu": cpu,
        "steps_per_s": ran / seconds if seconds else 0.0,
        "steps_per_cpu_s": ran / cpu if cpu else 0.0,
    }


# --------------------------------------------------------------------------- 1 and 2: SQLite


def sqlite_phases(
    args: argparse.Namespace, store: Path, results: dict[str, Any], only: set[str]
) -> Any:
    """Build the big SQLite store; measure enrolling (target 1) and internal steps (2)."""
    from sqlalchemy import text

    say(f"\n== SQLite store: {args.customers:,} customers ==")
    started = time.perf_counter()
    engine = fresh_sqlite(store)
    owners = add_owners(engine)
    seconds = add_customers(engine, args.customers, owners)
    say(f"  customers bulk-inserted in {seconds:.1f} s")
    version = apply(engine, INTERNAL)
    position = cursor_of(engine, version.consumer)
    picked = random.Random(7).sample(range(1, args.customers + 1), args.events)
    seconds = append_stage_changes(engine, picked, "big")
    say(f"  {args.events:,} stage_changed events appended in one transaction in {seconds:.1f} s")
    say(f"  store built in {time.perf_counter() - started:.0f} s")
    now = datetime.now(UTC)

    if "enroll" not in only:
        enroll_all(engine, version, now, 5000)
        return engine, version
    say("\n== 1. enrolling by a stage trigger (condition: email_consent = true) ==")
    by_limit: dict[int, dict[str, float]] = {}
    for limit in args.enroll_limits:
        totals, batches, enrolled = [], [], 0
        for _ in range(args.runs):
            rewind(engine, version, position)
            enrolled, count, seconds = enroll_all(engine, version, now, limit)
            totals.append(seconds)
            batches.append(seconds / max(count, 1))
            say(f"  limit {limit:>6,}: {enrolled:,} enrolled in {count} batches, {seconds:.2f} s")
        by_limit[limit] = {
            "enrolled": enrolled,
            "seconds": median(totals),
            "per_batch": median(batches),
        }
    best = min(by_limit, key=lambda k: by_limit[k]["seconds"])
    for limit, got in by_limit.items():
        say(
            f"  limit {limit:>6,}: median {got['seconds']:.2f} s for {got['enrolled']:,} "
            f"enrolled of {args.events:,} events ({got['per_batch']:.3f} s a batch)   target ≤ "
            f"{TARGETS['enroll_seconds']:.0f} s: "
            f"{mark(got['seconds'], TARGETS['enroll_seconds'], at_most=True)}"
        )
    say(f"  best batch size: {best:,}")
    results["enroll"] = {"by_limit": by_limit, "best": best}
    default = by_limit.get(5000, by_limit[best])
    if args.profile and default["seconds"] > TARGETS["enroll_seconds"]:
        rewind(engine, version, position)
        say("  profile of enrolling every event at limit 5,000:")
        say(profile_top(lambda: enroll_all(engine, version, now, 5000)))
    # leave the store enrolled at the default batch size for the steps
    rewind(engine, version, position)
    enrolled, _, _ = enroll_all(engine, version, now, 5000)
    if "steps" not in only:
        return engine, version

    say("\n== 2a. internal steps on SQLite, one process (create_task, add_tags, exit) ==")
    later = now + timedelta(seconds=1)
    each = min(args.step_enrollments, enrolled // (2 * args.runs))
    steps_by_limit: dict[int, float] = {}
    for limit in (200, 1000):
        rates, cpu_rates = [], []
        for _ in range(args.runs):
            got = run_steps(engine, later, limit, each)
            rates.append(got["steps_per_s"])
            cpu_rates.append(got["steps_per_cpu_s"])
            say(
                f"  limit {limit:>5}: {got['enrollments']:,} enrollments, {got['steps']:,} steps "
                f"in {got['seconds']:.1f} s = {got['steps_per_s']:,.0f} steps/s; "
                f"{got['cpu']:.1f} CPU s = {got['steps_per_cpu_s']:,.0f} steps/CPU-s "
                f"({got['failed']} failed)"
            )
        steps_by_limit[limit] = median(rates)
        say(
            f"  limit {limit:>5}: median {steps_by_limit[limit]:,.0f} steps/s (wall), "
            f"{median(cpu_rates):,.0f} steps per CPU second   target ≥ "
            f"{TARGETS['sqlite_steps_per_s']:,.0f}/s: "
            f"{mark(steps_by_limit[limit], TARGETS['sqlite_steps_per_s'])}"
        )
    with engine.connect() as conn:
        treated = conn.execute(
            text("SELECT count(*) FROM enrollments WHERE status = 'exited'")
        ).scalar_one()
        tasks, distinct = conn.execute(
            text("SELECT count(*), count(DISTINCT customer_id) FROM tasks")
        ).one()
        runs = conn.execute(text("SELECT count(*) FROM step_runs")).scalar_one()
    say(
        f"  check: {treated:,} enrollments treated, {tasks:,} tasks ({distinct:,} customers), "
        f"{runs:,} step runs (= 3 × treated: {runs == 3 * treated}); once each: "
        f"{tasks == treated == distinct}"
    )
    results["sqlite_steps"] = {
        "by_limit": steps_by_limit,
        "once": tasks == treated == distinct,
    }
    if args.profile and max(steps_by_limit.values()) < TARGETS["sqlite_steps_per_s"]:
        say("  profile of 1,000 enrollments at limit 200:")
        say(profile_top(lambda: run_steps(engine, later, 200, 1000)))
    return engine, version


# --------------------------------------------------------------------------- 2b: PostgreSQL


def pg_worker(url: str, limit: int, now: datetime, barrier: Any, out: Any) -> None:
    """One worker process: its own engine, ``run_due`` batches until nothing is due."""
    from tenure.domains.automation import steps
    from tenure.storage.engine import make_engine, retry_when_busy

    engine = make_engine(url)
    context = steps.Context(timezone="UTC", language="en")
    with engine.connect():
        pass  # connect before the clock starts
    barrier.wait()
    started = time.monotonic()
    visited = ran = failed = 0
    while True:
        report = retry_when_busy(engine, lambda conn: steps.run_due(conn, context, now, limit))
        if not report.enrollments:
            break
        visited += report.enrollments
        ran += report.steps
        failed += report.failed
    out.put(
        {
            "enrollments": visited,
            "steps": ran,
            "failed": failed,
            "started": started,
            "ended": time.monotonic(),
        }
    )
    engine.dispose()


def pg_phase(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Two worker processes running internal steps on PostgreSQL (target 2, ≥ 5,000/s)."""
    from sqlalchemy import text

    say(
        f"\n== 2b. internal steps on PostgreSQL, 2 worker processes ({args.pg_customers:,} "
        "customers) =="
    )
    engine, name, url = fresh_pg(args.pg_url)
    try:
        owners = add_owners(engine)
        seconds = add_customers(engine, args.pg_customers, owners)
        say(f"  customers bulk-inserted (COPY) in {seconds:.1f} s")
        version = apply(engine, INTERNAL)
        order = list(range(1, args.pg_customers + 1))
        random.Random(11).shuffle(order)
        spawn = mp.get_context("spawn")
        rates: dict[int, list[float]] = {200: [], 1000: []}
        all_once = True
        run = 0
        for _ in range(args.runs):
            for limit in (200, 1000):
                chunk = order[run * args.pg_events : (run + 1) * args.pg_events]
                run += 1
                append_stage_changes(engine, chunk, f"pg{run}")
                now = datetime.now(UTC)
                enrolled, batches, seconds = enroll_all(engine, version, now, 5000)
                barrier = spawn.Barrier(2)
                out = spawn.Queue()
                later = now + timedelta(seconds=1)
                workers = [
                    spawn.Process(target=pg_worker, args=(url, limit, later, barrier, out))
                    for _ in range(2)
                ]
                for worker in workers:
                    worker.start()
                done = [out.get() for _ in workers]
                for worker in workers:
                    worker.join()
                wall = max(d["ended"] for d in done) - min(d["started"] for d in done)
                steps_total = sum(d["steps"] for d in done)
                visited = sum(d["enrollments"] for d in done)
                rate = steps_total / wall
                rates[limit].append(rate)
                with engine.connect() as conn:
                    tasks, distinct = conn.execute(
                        text(
                            "SELECT count(*), count(DISTINCT customer_id) FROM tasks "
                            "WHERE customer_id = ANY(:ids)"
                        ),
                        {"ids": chunk},
                    ).one()
                    exited = conn.execute(
                        text(
                            "SELECT count(*) FROM enrollments WHERE status = 'exited' "
                            "AND customer_id = ANY(:ids)"
                        ),
                        {"ids": chunk},
                    ).scalar_one()
                once = tasks == distinct == exited == enrolled == visited
                all_once = all_once and once
                say(
                    f"  limit {limit:>5}: enrolled {enrolled:,} in {seconds:.1f} s; 2 workers "
                    f"ran {steps_total:,} steps ({done[0]['enrollments']:,} + "
                    f"{done[1]['enrollments']:,} enrollments) in {wall:.1f} s = {rate:,.0f} "
                    f"steps/s; tasks {tasks:,} for {distinct:,} customers, {exited:,} exited "
                    f"— once each: {once}"
                )
        medians = {limit: median(values) for limit, values in rates.items()}
        for limit, value in medians.items():
            say(
                f"  limit {limit:>5}: median {value:,.0f} steps/s   target ≥ "
                f"{TARGETS['pg_steps_per_s']:,.0f}/s: {mark(value, TARGETS['pg_steps_per_s'])}"
            )
        results["pg_steps"] = {"by_limit": medians, "once": all_once}
        if args.profile and max(medians.values()) < TARGETS["pg_steps_per_s"]:
            chunk = order[run * args.pg_events : run * args.pg_events + 6000]
            append_stage_changes(engine, chunk, "pg-profile")
            now = datetime.now(UTC)
            enroll_all(engine, version, now, 5000)
            later = now + timedelta(seconds=1)
            say("  profile of one process running 1,000 enrollments at limit 200 on PostgreSQL:")
            say(profile_top(lambda: run_steps(engine, later, 200, 1000)))
    finally:
        engine.dispose()
        drop_pg(args.pg_url, name)


# --------------------------------------------------------------------------- 3: email


def smtp_server(port: int, ready: Any, stop: Any, out: Any) -> None:
    """A real SMTP server (aiosmtpd) on the loopback that only counts what it is sent."""
    from aiosmtpd.controller import Controller

    class Counter:
        def __init__(self) -> None:
            self.count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            self.count += 1
            return "250 OK"

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    out.put(handler.count)


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def deliver_all(engine: Any, transport: Any) -> tuple[int, float]:
    """Call ``deliver_due`` until it has nothing to do; return (sent, seconds)."""
    from tenure.domains.messaging import delivery
    from tenure.kit.clock import SystemClock

    clock = SystemClock()
    sent = 0
    started = time.perf_counter()
    while True:
        report = delivery.deliver_due(engine, transport, clock)
        if not (report.sent or report.retrying or report.failed or report.unknown):
            break
        sent += len(report.sent)
        if report.retrying or report.failed or report.unknown:
            say(
                f"  ! {len(report.retrying)} retrying, {len(report.failed)} failed, "
                f"{len(report.unknown)} unknown"
            )
    return sent, time.perf_counter() - started


def requeue(engine: Any, count: int) -> None:
    """Put the first ``count`` messages back in the queue (and forget their events)."""
    from sqlalchemy import text

    from tenure.storage.engine import write_transaction

    with write_transaction(engine) as conn:
        conn.execute(text("DELETE FROM events WHERE type = 'message_sent'"))
        last = conn.execute(
            text("SELECT id FROM messages ORDER BY id LIMIT 1 OFFSET :n"),
            {"n": count - 1},
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE messages SET status = 'queued', attempts = 0, sent_at = NULL, "
                "transport_id = NULL, next_attempt_at = :now WHERE id <= :last"
            ),
            {"now": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), "last": last},
        )


def sample_outgoing(engine: Any) -> Any:
    """One of the queued messages, as the transport is handed it."""
    from sqlalchemy import text

    from tenure.domains.messaging.transports import Outgoing

    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, to_address, subject, html, text, category, unsubscribe_url "
                "FROM messages ORDER BY id LIMIT 1"
            )
        ).one()
    return Outgoing(
        message_id=row[0],
        to_address=row[1],
        subject=row[2],
        html=row[3],
        text=row[4],
        category=row[5],
        unsubscribe_url=row[6],
    )


def email_phase(args: argparse.Namespace, workdir: Path, results: dict[str, Any]) -> None:
    """Queue emails by playbook steps, then deliver them to a loopback SMTP server (target 3)."""
    from sqlalchemy import text

    from tenure.domains.messaging.transports import Smtp
    from tenure.kit.settings import MessagingSettings, Settings
    from tenure.worker.playbooks import context_of

    say(f"\n== 3. {args.emails:,} emails: send_email steps, then SMTP to the loopback ==")
    engine = fresh_sqlite(workdir / "mail.db")
    owners = add_owners(engine)
    add_customers(engine, args.emails, owners, consent_every=0)
    version = apply(engine, MAIL)
    append_stage_changes(engine, range(1, args.emails + 1), "mail")
    now = datetime.now(UTC)
    enrolled, _, seconds = enroll_all(engine, version, now, 5000)
    say(f"  {enrolled:,} enrolled in {seconds:.1f} s")
    # no quiet hours: the emails are due now at any hour, so the run measures sending
    always = MessagingSettings(send_window_start=dt_time(0), send_window_end=dt_time(0))
    context = context_of(Settings(messaging=always), now)
    got = run_steps(engine, now, 200, None, context)
    with engine.connect() as conn:
        queued = conn.execute(
            text("SELECT count(*) FROM messages WHERE status = 'queued'")
        ).scalar_one()
    say(
        f"  send_email + exit steps: {got['steps']:,} in {got['seconds']:.1f} s = "
        f"{got['steps_per_s']:,.0f} steps/s; {queued:,} messages queued"
    )
    spawn = mp.get_context("spawn")
    port = free_port()
    ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
    server = spawn.Process(target=smtp_server, args=(port, ready, stop, out))
    server.start()
    ready.wait(30)
    transport = Smtp(
        "127.0.0.1",
        port,
        from_address="Bench <bench@example.test>",
        security="none",
        timeout=10,
    )
    rates = []
    total_sent = 0
    profile = ""
    alone = None
    try:
        for attempt in range(args.runs):
            if attempt:
                requeue(engine, args.repeat_emails)
            sent, seconds = deliver_all(engine, transport)
            total_sent += sent
            rates.append(sent / seconds)
            say(f"  run {attempt + 1}: {sent:,} sent in {seconds:.1f} s = {sent / seconds:,.0f}/s")
        if args.profile and median(rates) < TARGETS["emails_per_s"]:
            requeue(engine, 1000)
            profile = profile_top(lambda: deliver_all(engine, transport))
            total_sent += 1000
            # the transport alone, without the outbox: one session, one connection
            outgoing = sample_outgoing(engine)
            started = time.perf_counter()
            with transport.session() as session:
                for _ in range(1000):
                    session.send(outgoing)
            alone = 1000 / (time.perf_counter() - started)
            total_sent += 1000
    finally:
        stop.set()
        received = out.get(timeout=30)
        server.join()
    rate = median(rates)
    say(
        f"  median {rate:,.0f} emails/s   target ≥ {TARGETS['emails_per_s']:,.0f}/s: "
        f"{mark(rate, TARGETS['emails_per_s'])}; the server received {received:,} of "
        f"{total_sent:,} sent"
    )
    results["email"] = {"per_s": rate, "received": received, "sent": total_sent}
    if profile:
        say("  profile of delivering 1,000 messages:")
        say(profile)
        say(f"  the Smtp transport alone (one session, no outbox): {alone:,.0f}/s")
        results["email"]["transport_alone_per_s"] = alone
    engine.dispose()


# --------------------------------------------------------------------------- 4: memory


def tick_rss(store: Path) -> None:
    """In a fresh process: run the worker's playbook tick three times; print memory as JSON."""
    from tenure.kit.clock import FrozenClock
    from tenure.kit.settings import Settings
    from tenure.storage.engine import make_engine
    from tenure.worker.playbooks import tick

    engine = make_engine(f"sqlite:///{store}")
    with engine.connect():
        pass
    settings = Settings()
    clock = FrozenClock(datetime.now(UTC))
    before = rss_mib()
    times, busy = [], []
    for _ in range(3):
        started = time.perf_counter()
        done = tick(engine, settings, clock)
        times.append(time.perf_counter() - started)
        busy.append(done.busy)
    print(
        json.dumps(
            {
                "before_mib": before,
                "after_mib": rss_mib(),
                "peak_mib": peak_mib(),
                "tick_seconds": median(times),
                "busy": any(busy),
            }
        )
    )


def add_waiting(engine: Any, version: Any, count: int, customers: int) -> None:
    """Insert ``count`` enrollments waiting 30 days (next_at in the future), in bulk."""
    import polars as pl

    from tenure.domains.automation.models import Enrollment
    from tenure.storage.base import table_of
    from tenure.storage.bulk import write_frame
    from tenure.storage.engine import bulk_load

    now = datetime.now(UTC)
    n = pl.int_range(0, count, eager=True)
    frame = pl.DataFrame(
        {
            "playbook_id": pl.repeat(version.playbook_id, count, eager=True, dtype=pl.Int64),
            "version": pl.repeat(version.version, count, eager=True, dtype=pl.Int64),
            "customer_id": (n % customers) + 1,
            "holdout": n < 0,
            "status": pl.repeat("active", count, eager=True),
            "step": pl.repeat(1, count, eager=True, dtype=pl.Int64),
            "seq": pl.repeat(1, count, eager=True, dtype=pl.Int64),
            "next_at": pl.repeat(now + timedelta(days=30), count, eager=True),
            "enrolled_at": pl.repeat(now, count, eager=True),
            "trigger": pl.repeat("stage_entered", count, eager=True),
        }
    )
    with bulk_load(engine) as conn:
        write_frame(conn, table_of(Enrollment), frame)


def memory_phase(
    args: argparse.Namespace,
    engine: Any,
    version: Any,
    store: Path,
    results: dict[str, Any],
) -> None:
    """Peak memory of a process running ``tick`` with few and many waiting enrollments."""
    from sqlalchemy import text

    from tenure.storage.engine import write_transaction

    say("\n== 4. worker memory: tick with enrollments waiting (next_at in 30 days) ==")
    with write_transaction(engine) as conn:
        conn.execute(text("DELETE FROM step_runs"))
        conn.execute(text("DELETE FROM enrollments"))
    waiting = 0
    figures = {}
    for target in (1_000, args.waiting):
        started = time.perf_counter()
        add_waiting(engine, version, target - waiting, args.customers)
        waiting = target
        say(f"  {waiting:,} waiting (inserted in {time.perf_counter() - started:.1f} s)")
        runs = []
        for _ in range(args.runs):
            done = subprocess.run(
                [sys.executable, __file__, "--tick-rss", str(store)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout.splitlines()[-1]))
        peak = median([r["peak_mib"] for r in runs])
        grown = median([r["after_mib"] - r["before_mib"] for r in runs])
        seconds = median([r["tick_seconds"] for r in runs])
        figures[waiting] = {
            "peak_mib": peak,
            "grown_mib": grown,
            "tick_seconds": seconds,
        }
        say(
            f"  {waiting:>9,} waiting: peak RSS {peak:.0f} MiB (after imports "
            f"{median([r['before_mib'] for r in runs]):.0f} MiB), grown during 3 ticks "
            f"{grown:+.1f} MiB, a tick {seconds * 1000:.0f} ms (did anything: "
            f"{any(r['busy'] for r in runs)})"
        )
    few, many = figures[1_000], figures[waiting]
    flat = many["peak_mib"] - few["peak_mib"] < 20
    say(
        f"  peak {few['peak_mib']:.0f} → {many['peak_mib']:.0f} MiB for 1,000 → {waiting:,} "
        f"waiting   target flat: {'met' if flat else 'MISSED'}"
    )
    results["memory"] = {"figures": figures, "flat": flat}


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--enroll-limits", type=int, nargs="+", default=[5000, 20_000, 50_000])
    parser.add_argument("--step-enrollments", type=int, default=3_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--pg-customers", type=int, default=200_000)
    parser.add_argument("--pg-events", type=int, default=6_000)
    parser.add_argument("--repeat-emails", type=int, default=5_000)
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--waiting", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="enroll,steps,pg,email,memory")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--tick-rss", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tick_rss is not None:
        tick_rss(args.tick_rss)
        return
    only = set(args.only.split(","))
    say(f"machine: {describe()}; BLAS threads pinned to 1")
    say(f"load average at start: {os.getloadavg()[0]:.1f}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pbench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "store.db"
    results: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        if only & {"enroll", "steps", "memory"}:
            engine, version = sqlite_phases(args, store, results, only)
            if "memory" in only:
                memory_phase(args, engine, version, store, results)
            engine.dispose()
        if "pg" in only:
            pg_phase(args, results)
        if "email" in only:
            email_phase(args, workdir, results)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    say(
        f"\nload average at the end: {os.getloadavg()[0]:.1f}; "
        f"the whole benchmark took {time.perf_counter() - started:.0f} s"
    )
    say(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
