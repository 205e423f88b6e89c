"""Two real worker processes on one PostgreSQL store, 100,000 enrollments: every step once.

The big one is slow (minutes): ``make test-slow``, or with ``-s`` to see its figures:
``pytest -m slow -s tests/worker/test_two_workers.py``. It checks only what the tables show,
so it holds however ``run_due`` claims its rows.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select, text

from tenure.domains.audit.service import Actor
from tenure.domains.automation import enrollment, service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.customers.models import Customer
from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.tasks.models import Task
from tenure.domains.users import service as users
from tenure.storage.base import table_of
from tenure.storage.bulk import write_frame
from tenure.storage.engine import bulk_load, write_transaction
from tests.conftest import scratch_store
from tests.worker.processes import Process

ENROLLMENTS = 100_000
OWNERS = 20
WAIT = 1800.0  # a guard against a hang: two workers take a few minutes here
PERSON = Actor(None, "cli")
INTERNAL = """\
name: two-workers
title: {en: Internal steps, zh: 内部步骤}
kind: service
trigger: {stage_entered: {to: [declining], from: [mature]}}
conditions: {field: email_consent, op: "=", value: true}
enrollment: {holdout: 0}
steps:
  - create_task:
      title: {en: Call them, zh: 致电}
      checklist: [{en: Find the root cause}]
      due_in_days: 2
      assignee: {to: owner, fallback: csm}
  - add_tags: [win-back]
  - exit: true
"""
STEPS = ["create_task", "add_tags", "exit"]


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh PostgreSQL database, migrated, dropped afterwards."""
    with scratch_store("postgresql", request, tmp_path) as engine:
        yield engine


def _fill(engine: Engine) -> list[int]:
    """Owners, 100,000 customers (in bulk), the playbook, and a stage change for each."""
    with write_transaction(engine) as conn:
        owners = [
            users.create_user(conn, f"Owner {n}", f"owner{n}@two.test", "sales")[0]
            for n in range(OWNERS)
        ]
        users.create_user(conn, "Fallback", "csm@two.test", "csm")
        service.apply(conn, PERSON, [parse(INTERNAL, "two.yaml")])
    n = pl.int_range(0, ENROLLMENTS, eager=True)
    frame = pl.DataFrame(
        {
            "external_id": "c" + n.cast(pl.String),
            "name": "Customer " + n.cast(pl.String),
            "email": "c" + n.cast(pl.String) + "@two.test",
            "owner_id": pl.Series([owners[i % OWNERS] for i in range(ENROLLMENTS)]),
            "email_consent": n >= 0,
            "sms_consent": n < 0,
        }
    )
    with bulk_load(engine) as conn:
        write_frame(conn, table_of(Customer), frame, stamp=datetime.now(UTC))
        ids = [int(i) for i in conn.execute(select(Customer.id).order_by(Customer.id)).scalars()]
        feed.append(
            conn,
            EventSource.RUN,
            [
                feed.NewEvent(
                    key=f"stage:{customer_id}",
                    customer_id=customer_id,
                    type=SystemEventType.STAGE_CHANGED,
                    occurred_at=datetime.now(UTC),
                    properties={"from": "mature", "to": "declining", "rule": "test"},
                )
                for customer_id in ids
            ],
        )
    return ids


@pytest.mark.slow
def test_two_workers_on_postgresql_run_each_of_100_000_enrollments_steps_once(
    store: Engine, tmp_path: Path
) -> None:
    started = time.perf_counter()
    ids = _fill(store)
    filled = time.perf_counter() - started
    env = {
        "TENURE_DATABASE_URL": store.url.render_as_string(hide_password=False),
        "TENURE_WORKER__DAILY_RUN": "false",
    }
    workers = [Process.spawn(tmp_path / f"worker-{n}", env) for n in (1, 2)]
    try:
        started = time.perf_counter()
        for worker in workers:  # both at once: they enroll and step through the same rows
            worker.start()
        done = [worker.finish(WAIT) for worker in workers]
        worked = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.close(10)
    with store.connect() as conn:
        enrollments = Counter(conn.execute(select(Enrollment.status, Enrollment.reason)).all())
        runs = Counter(conn.execute(select(StepRun.action)).scalars())
        doubled_runs = conn.execute(
            select(func.count()).select_from(
                select(StepRun.enrollment_id, StepRun.seq)
                .group_by(StepRun.enrollment_id, StepRun.seq)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        tasks = Counter(conn.execute(select(Task.customer_id)).scalars())
        tags = Counter(tuple(t or ()) for t in conn.execute(select(Customer.tags)).scalars())
    print(
        f"\n{ENROLLMENTS:,} enrollments: store filled in {filled:.0f} s; two workers enrolled "
        f"and ran {sum(runs.values()):,} steps in {worked:.0f} s "
        f"({sum(runs.values()) / worked:,.0f} steps/s); each did {[d['steps'] for d in done]}"
    )
    # every enrollment finished; every step once; one task per customer, the tag once
    assert enrollments == {("exited", "exit step"): ENROLLMENTS}
    assert runs == {action: ENROLLMENTS for action in STEPS}
    assert doubled_runs == 0
    assert tasks == Counter(ids)
    assert tags == {("win-back",): ENROLLMENTS}
    # both worked, neither failed a tick, and what they say they did is what the tables show
    assert all(d["steps"] > 0 for d in done), done
    assert sum(d["steps"] for d in done) == ENROLLMENTS * len(STEPS)
    assert sum(d["enrolled"] for d in done) == ENROLLMENTS
    assert not any(d.get("failed") for d in done), done
    errors = [e for d in done for e in d.get("tick_errors", [])]
    assert not errors, errors  # two first ticks on a fresh store subscribe without colliding


def test_two_workers_starting_at_once_subscribe_the_same_new_feed_cursor(store: Engine) -> None:
    # the two first ticks, step by step: both find no cursor; the first inserts it, the
    # second's insert waits on the first's uncommitted row, then meets it once it commits
    failed: list[BaseException] = []
    with store.connect() as first, store.connect() as second:
        first.begin()
        feed.subscribe(first, enrollment.WAITS)

        def second_tick() -> None:
            try:
                with second.begin():
                    feed.subscribe(second, enrollment.WAITS)
            except BaseException as exc:  # handed to the test's thread
                failed.append(exc)

        thread = threading.Thread(target=second_tick)
        thread.start()
        _wait_until_waiting_on_a_lock(store, thread)
        first.commit()
        thread.join(WAIT)
    if failed:
        raise failed[0]


def _wait_until_waiting_on_a_lock(engine: Engine, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 30  # a guard against a hang
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline and thread.is_alive():
        with engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        time.sleep(0.01)
