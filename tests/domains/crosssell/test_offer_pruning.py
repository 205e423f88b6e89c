"""A daily run does not pile up offers: the newest finished runs keep theirs, older ones go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tenure.domains.crosssell.repository import KEPT_RUNS
from tenure.domains.scoring.run import run_scoring
from tests.conftest import scratch_store
from tests.domains.crosssell.conftest import cross_sell_settings
from tests.domains.crosssell.store import AS_OF, planted_store


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_offers_of_runs_before_the_newest_finished_ones_are_deleted(
    database: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with scratch_store(database, request, tmp_path_factory.mktemp("prune")) as engine:
        with engine.begin() as conn:
            with Session(bind=conn) as session:
                planted_store(session)
                session.flush()
        runs = []
        for day in range(KEPT_RUNS + 2):
            with engine.begin() as conn:
                runs.append(run_scoring(conn, AS_OF + timedelta(days=day), cross_sell_settings()))
        with engine.connect() as conn:
            by_run: dict[int, int] = dict(
                conn.execute(
                    text("SELECT run_id, count(*) FROM customer_offers GROUP BY run_id")
                ).all()
            )
            pairs: dict[int, int] = dict(
                conn.execute(
                    text("SELECT run_id, count(*) FROM sequence_pairs GROUP BY run_id")
                ).all()
            )
    ids = [r.run_id for r in runs]
    # the last run and the KEPT_RUNS finished before it keep their offers; the first is gone
    assert sorted(by_run) == ids[-(KEPT_RUNS + 1) :] and all(n > 0 for n in by_run.values())
    assert sorted(pairs) == ids  # the sequences of every run stay
