"""The 360's stage history lists moves: a run that left the stage as it was adds no row."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from tenure.domains.customers.service import profile
from tenure.domains.registry import metadata
from tests.factories import make_customer

NOW = datetime(2026, 6, 30, tzinfo=UTC)


def _run(conn: Connection, as_of: date, status: str = "done") -> int:
    runs = metadata().tables["scoring_runs"]
    return int(
        conn.execute(
            insert(runs)
            .values(
                as_of=as_of,
                status=status,
                preset="ecommerce",
                config_hash="x",
                data_fingerprint="y",
                started_at=NOW,
            )
            .returning(runs.c.id)
        ).scalar_one()
    )


def test_repeated_stages_collapse_into_the_run_that_moved_the_customer(
    conn: Connection, session: Session
) -> None:
    customer = make_customer(session)
    session.flush()
    history = metadata().tables["stage_history"]
    stages = [
        (date(2026, 3, 1), "done", "new"),
        (date(2026, 4, 1), "done", "new"),
        (date(2026, 5, 1), "done", "growing"),
        (date(2026, 5, 15), "failed", "declining"),  # an unfinished run is no history
        (date(2026, 6, 1), "done", "growing"),
        (date(2026, 6, 30), "done", "declining"),
        (date(2026, 6, 30), "done", "declining"),  # a second run of the same day
    ]
    for as_of, status, stage in stages:
        conn.execute(
            insert(history).values(
                customer_id=customer.id,
                run_id=_run(conn, as_of, status),
                stage=stage,
                since=as_of,
                rule="r",
            )
        )
    found = profile(conn, customer.id)["stage_history"]
    assert [(h["as_of"], h["stage"]) for h in found] == [
        (date(2026, 3, 1), "new"),
        (date(2026, 5, 1), "growing"),
        (date(2026, 6, 30), "declining"),
    ]
