"""``tenure worker``: the background work of a store, as its own process."""

from __future__ import annotations

import typer

from tenure.cli import context


def worker(
    once: bool = typer.Option(
        False, "--once", help="Do what is due now (one tick), then exit: for cron or a test."
    ),
    as_json: bool = typer.Option(False, "--json", help="With --once: print what it did as JSON."),
) -> None:
    """Do the store's background work: the daily run, asked-for runs, playbooks' steps.

    Runs until Ctrl+C (or SIGTERM), looking for work every few seconds (worker.poll_seconds):
    customers set off by new events enter the playbooks (docs/playbooks.md), and the steps
    that are due run — a task for the owner, a wait, a branch.
    The daily run starts at worker.daily_run_at, business time; the first start only sets the
    schedule (score a new store with `tenure score`). A run whose worker was killed is taken
    over once that worker's lease runs out (worker.lease_seconds); a run that kills its worker
    worker.max_attempts times is given up and reported as failed.

    On SQLite one worker may run: a second one names the first and exits. `tenure serve` runs
    one itself unless worker.in_server is off (TENURE_WORKER__IN_SERVER=false). On PostgreSQL
    start as many as you like: they share the work. See docs/worker.md.
    """
    import signal
    import threading

    from tenure.worker.process import AnotherWorkerRuns, Worker

    settings = context.settings()
    engine = context.engine(settings)
    work = Worker(engine, settings)
    try:
        work.start()
    except AnotherWorkerRuns as other:
        context.fail(other.message)
    try:
        if once:
            done = work.tick()
            played = done.playbooks
            if as_json:
                context.print_json(
                    {
                        "worker": work.worker_id,
                        "scheduled": done.scheduled,
                        "runs_done": done.runs_done,
                        "runs_failed": done.runs_failed,
                        "enrolled": played.enrolled,
                        "steps": played.steps,
                        "steps_failed": played.failed,
                    }
                )
            else:
                context.console.print(
                    f"Scheduled: {', '.join(done.scheduled) or 'nothing'}; runs done: "
                    f"{len(done.runs_done)}; runs failed: {len(done.runs_failed)}; enrolled in "
                    f"playbooks: {played.enrolled}; playbook steps: {played.steps} "
                    f"({played.failed} failed)."
                )
            return
        stop = threading.Event()

        def _stop(_signal: int, _frame: object) -> None:
            stop.set()
            work.wake()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        context.console.print(
            f"Worker {work.worker_id} is working on {engine.url.render_as_string()} "
            "(Ctrl+C stops it after the work in hand)"
        )
        work.run_until(stop)
    except AnotherWorkerRuns as other:  # it lost its lease (a long pause) to another worker
        context.fail(other.message)
    finally:
        work.stop()
