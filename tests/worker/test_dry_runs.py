"""The worker walks a queued dry run under a lease it renews as the days go by."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tenure.domains.audit.service import Actor
from tenure.domains.automation import dry_run_records as records
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import DryRunRecord, PlaybookStatus
from tenure.kit.clock import SystemClock
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import write_transaction
from tenure.worker import dry_runs
from tests.worker.conftest import END, Store

PLAYBOOK = """\
name: worker-dry
title: {en: Dry}
trigger: {stage_entered: {to: [declining]}}
steps:
  - send_email: {template: win-back-offer}
"""


def test_a_dry_run_is_walked_once_with_its_lease_renewed(store: Store) -> None:
    engine = store.engine
    with write_transaction(engine) as conn:
        service.apply(conn, Actor(None, "cli"), [parse(PLAYBOOK, "worker-dry.yaml")])
        # a dry run needs a published playbook, not a live one: paused, it cannot enroll the
        # customers of this package's shared store when other tests' workers tick
        service.set_status(conn, Actor(None, "cli"), "worker-dry", PlaybookStatus.PAUSED)
        asked = records.request(
            conn,
            Actor(None, "cli"),
            "worker-dry",
            END - timedelta(days=20),
            END,
            business_today("UTC"),
            "UTC",
        )
    beats: list[str] = []
    # a lease of 30 ms: the walk renews it (and the worker's) many times over
    walked = dry_runs.walk_one(
        engine,
        Settings(),
        SystemClock(),
        "worker-a",
        timedelta(milliseconds=30),
        3,
        lambda conn: beats.append("worker"),
    )
    assert walked == asked and len(beats) >= 1
    with engine.connect() as conn:
        status, attempts, lease_until, result = conn.execute(
            select(
                DryRunRecord.status,
                DryRunRecord.attempts,
                DryRunRecord.lease_until,
                DryRunRecord.result,
            ).where(DryRunRecord.id == asked)
        ).one()
    assert (status, attempts, lease_until) == ("done", 1, None)
    assert result is not None and result["days"] == 21
    # nothing left to walk: the next tick finds none
    again = dry_runs.walk_one(engine, Settings(), SystemClock(), "worker-b", timedelta(60), 3)
    assert again is None
