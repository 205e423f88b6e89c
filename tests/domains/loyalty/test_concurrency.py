"""Two processes at once on PostgreSQL: one balance cannot be overdrawn, no order earns twice."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.models import LoyaltyEntry
from tenure.domains.loyalty.service import Credit
from tests.conftest import scratch_store
from tests.domains.loyalty import workers
from tests.domains.loyalty.helpers import DAY0, make_book
from tests.factories import make_customer, make_order


@pytest.fixture
def pg_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with scratch_store("postgresql", request, tmp_path) as engine:
        yield engine


def _race(target: Callable[..., Any], *calls: tuple[Any, ...]) -> list[Any]:
    """Run ``target`` in two spawned processes that start together at a barrier."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(calls))
        with ProcessPoolExecutor(len(calls), mp_context=context) as pool:
            futures = [pool.submit(target, args[0], barrier, *args[1:]) for args in calls]
            return [f.result(timeout=120) for f in futures]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_two_clients_cannot_overdraw_one_balance(pg_store: Engine) -> None:
    with pg_store.begin() as conn:
        book = make_book(conn)
        with Session(bind=conn) as session:
            who = make_customer(session).id
        service.award(conn, book, Credit(who, 100, "opening", DAY0))
    at = DAY0 + timedelta(days=1)
    outcomes = _race(
        workers.redeem, (_url(pg_store), who, "r-a", 60, at), (_url(pg_store), who, "r-b", 60, at)
    )
    assert sorted(outcomes) == ["ok", "refused"]
    with pg_store.connect() as conn:
        book = service.book(conn, "stars")
        assert service.balance(conn, book, who, at).spendable == 40
        assert check(conn, book.id).ok


def test_the_same_redemption_from_two_clients_is_written_once(pg_store: Engine) -> None:
    with pg_store.begin() as conn:
        book = make_book(conn)
        with Session(bind=conn) as session:
            who = make_customer(session).id
        service.award(conn, book, Credit(who, 100, "opening", DAY0))
    at = DAY0 + timedelta(days=1)
    outcomes = _race(
        workers.redeem, (_url(pg_store), who, "same", 30, at), (_url(pg_store), who, "same", 30, at)
    )
    assert outcomes == ["ok", "ok"]  # the second is a replay of the first
    with pg_store.connect() as conn:
        assert service.balance(conn, service.book(conn, "stars"), who, at).spendable == 70


def test_two_workers_earning_the_same_orders_pay_each_once(pg_store: Engine) -> None:
    with pg_store.begin() as conn:
        book = make_book(conn, earn=[{"key": "base", "per_unit": 1, "cap_day": 200}])
        with Session(bind=conn) as session:
            people = [make_customer(session) for _ in range(3)]
            orders = []
            for i in range(60):
                customer = people[i % 3]
                at = DAY0 + timedelta(hours=i)
                amount = f"{10 + i}.99"
                stored = make_order(session, customer=customer, amount=amount, ordered_at=at)
                orders.append((stored.id, customer.id, at, amount))
    url = _url(pg_store)
    written = _race(workers.earn_all, (url, orders), (url, list(reversed(orders))))
    with pg_store.connect() as conn:
        book = service.book(conn, "stars")
        counts = conn.execute(
            select(LoyaltyEntry.order_id, func.count()).group_by(LoyaltyEntry.order_id)
        ).all()
        # capped orders earn nothing; every other order earned exactly once, by one worker
        assert 0 < len(counts) < 60 and all(n == 1 for _, n in counts)
        assert sum(written) == len(counts)
        # the daily cap holds with two writers: no customer's day earned more than 200
        days: dict[tuple[int, Any], int] = {}
        for account, occurred, amount in conn.execute(
            select(LoyaltyEntry.account_id, LoyaltyEntry.occurred_at, LoyaltyEntry.amount)
        ):
            days[account, occurred.date()] = days.get((account, occurred.date()), 0) + amount
        assert max(days.values()) == 200  # the cap bit, and was never passed
        assert check(conn, book.id).ok
