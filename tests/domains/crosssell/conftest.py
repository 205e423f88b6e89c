"""One small store with planted sequences, scored once per database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tenure.domains.scoring.run import run_scoring
from tenure.kit.settings import Settings
from tests.conftest import scratch_store
from tests.domains.crosssell.store import AS_OF, planted_store

Purchases = list[tuple[int, int, str]]


def cross_sell_settings() -> Settings:
    settings = Settings()
    settings.cross_sell.min_support = 5
    settings.cross_sell.min_z = 1.0
    settings.churn.enabled = False  # not what these tests are about; saves a second a run
    return settings


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Purchases]]:
    """The planted store, scored as of AS_OF, and every purchase in it."""
    with scratch_store(request.param, request, tmp_path_factory.mktemp("xsell")) as engine:
        with engine.begin() as conn:
            with Session(bind=conn) as session:
                bought = planted_store(session)
                session.flush()
            run_scoring(conn, AS_OF, cross_sell_settings())
        yield engine, bought
