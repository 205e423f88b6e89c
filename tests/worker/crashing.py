"""A real worker for the crash tests, as its own process.

``python -m tests.worker.crashing``, or ``run`` as the target of a process forked from a
server that imported this module once (the tests do that: importing the worker takes seconds).
It is the product's ``Worker`` on the store and settings the environment gives (``TENURE_*``),
built as ``tenure worker`` builds it. Test-only additions, all outside the product:

- ``--freeze-before PATTERN``, ``--freeze-after-commit PATTERN``: listeners on its engine. When
  a statement whose SQL and parameters match PATTERN is about to run — or, with the second,
  once the transaction that ran one has committed — it freezes on the spot (``freeze``: it
  writes the file ``frozen`` and holds), so the test's ``kill -9`` finds it exactly there,
  with nothing after that point done.
- ``--ahead SECONDS``: its clock runs that far ahead of the system's, so a restarted worker
  finds the dead one's leases run out without the test sleeping through them.
- ``--go PATH``: it waits for PATH to exist before its first tick, so a test can start it
  before the store is filled.

It ticks until a tick finds nothing to do, prints what it did as JSON, and exits 0; a process
told to freeze that never reached its point exits 3 (its freeze point has moved: fix PATTERN).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

from tenure.kit.clock import SystemClock
from tenure.kit.settings import load_settings
from tenure.storage.engine import make_engine
from tenure.worker.process import Worker

log = logging.getLogger(__name__)
NEVER_REACHED = 3
NO_GO = 5
GO_WAIT_SECONDS = 120.0
MAX_TICKS = 200  # a guard: the crash tests' work takes a handful


class AheadClock(SystemClock):
    """The system's clock, ``ahead`` later: a worker restarted after its leases ran out."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        """Return the system time plus ``ahead``."""
        return super().now() + self.ahead


def freeze(point: str) -> None:
    """Stop here for good: say so in the file ``frozen``, then wait for the test's kill -9.

    The thread that reaches the point holds; no other thread works (webhooks go out on one
    thread in the crash tests), so the process does nothing after the point. (A SIGSTOP to
    itself was tried first: in some runs the process went straight on past it — seen with a
    webhook sender thread on PostgreSQL — so the point holds its thread instead.)
    """
    sys.stderr.write(f"frozen {point}\n")
    sys.stderr.flush()
    Path("frozen").write_text(point)
    threading.Event().wait()


def _said(statement: str, parameters: Any) -> str:
    return f"{statement} {parameters!r}"


def freeze_before(engine: Engine, pattern: re.Pattern[str]) -> None:
    """Freeze before the first statement matching ``pattern`` runs."""

    def before(conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if pattern.search(_said(statement, parameters)):
            freeze(f"before {pattern.pattern!r}")

    event.listen(engine, "before_cursor_execute", before)


def freeze_after_commit(engine: Engine, pattern: re.Pattern[str]) -> None:
    """Freeze once the first transaction that ran a statement matching ``pattern`` committed."""
    mark = "tests.crashing.matched"

    def after(conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if pattern.search(_said(statement, parameters)):
            conn.info[mark] = True

    def commit(conn: Connection) -> None:
        # the event comes just before the driver's commit: commit it here, then stop
        if conn.info.pop(mark, False):
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.commit()
            freeze(f"after the commit of {pattern.pattern!r}")

    def rollback(conn: Connection) -> None:
        conn.info.pop(mark, None)

    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)


def _wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def main(argv: list[str] | None = None) -> int:
    """Work until idle (or freeze at the point asked for); print the totals as JSON."""
    parser = argparse.ArgumentParser(prog="python -m tests.worker.crashing")
    parser.add_argument("--freeze-before", metavar="PATTERN")
    parser.add_argument("--freeze-after-commit", metavar="PATTERN")
    parser.add_argument("--ahead", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--go", metavar="PATH")
    args = parser.parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings.database.url)
    if args.freeze_before:
        freeze_before(engine, re.compile(args.freeze_before, re.S | re.I))
    if args.freeze_after_commit:
        freeze_after_commit(engine, re.compile(args.freeze_after_commit, re.S | re.I))
    if args.go and not _wait_for(Path(args.go), GO_WAIT_SECONDS):
        return NO_GO
    worker = Worker(engine, settings, clock=AheadClock(timedelta(seconds=args.ahead)))
    worker.start()
    totals: Counter[str] = Counter()
    errors: list[str] = []
    try:
        for _ in range(MAX_TICKS):
            try:
                done = worker.tick()
            except Exception as exc:  # as `tenure worker` does: logged, the next tick goes on
                log.exception("a tick failed")
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            played = done.playbooks
            totals.update(
                enrolled=played.enrolled,
                steps=played.steps,
                failed=played.failed,
                ticks=1,
            )
            totals.update({f"email_{k}": v for k, v in played.emails.items()})
            totals.update({f"webhook_{k}": v for k, v in played.webhooks.items()})
            if not done.busy:
                break
    finally:
        worker.stop()
        engine.dispose()
    report: dict[str, object] = {"worker": worker.worker_id, **totals}
    if errors:
        report["tick_errors"] = errors
    print(json.dumps(report), flush=True)
    frozen = args.freeze_before or args.freeze_after_commit
    return NEVER_REACHED if frozen else 0


def run(argv: list[str], env: dict[str, str], folder: str) -> None:
    """A forked process's life: in ``folder`` (its output goes to its ``log``), with ``env``
    set, ``main``; it exits with its status."""
    os.chdir(folder)  # no tenure.toml of the test run's folder reaches it
    output = os.open("log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.environ.update(env)
    sys.exit(main(argv))


if __name__ == "__main__":
    threading.current_thread().name = "crashing-worker"
    sys.exit(main())
