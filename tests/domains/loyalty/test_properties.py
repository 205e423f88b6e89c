"""Hypothesis: random sequences of earn / redeem / refund / expire / re-import on both stores.

After every step the store agrees with an independent in-memory model (tests/…/model.py) on
each member's total, spendable and owed points, and the check proves balance = Σ entries.
Below zero only ever after a refund; an order never earns twice; reversals never exceed
what the order earned.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, insert, select

from tenure.domains.customers.models import Customer
from tenure.domains.loyalty import service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.earning import OrderFacts
from tenure.domains.loyalty.models import EntryKind, LoyaltyEntry
from tenure.domains.orders.models import Order
from tenure.kit.errors import Conflict
from tests.domains.loyalty.helpers import DAY0, make_book
from tests.domains.loyalty.model import Model

WHO = st.integers(0, 1)
STEP = st.integers(0, 20).map(lambda d: timedelta(days=d))
CENTS = st.integers(1, 20_000).map(lambda c: Decimal(c).scaleb(-2))

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("order"), WHO, CENTS, STEP),
        st.tuples(st.just("reimport"), st.integers(0, 50), STEP),
        st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100), STEP, st.booleans()),
        st.tuples(st.just("redeem"), WHO, st.integers(1, 150), STEP),
        st.tuples(st.just("award"), WHO, st.integers(1, 80), STEP),
        st.tuples(st.just("expire"), STEP),
    ),
    min_size=1,
    max_size=25,
)


class Store:
    """The store's side of one example: its customers, orders and clock."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.book = make_book(
            conn, pending_days=3, expiry={"policy": "lot_days", "days": 30}, rewards=[]
        )
        self.customers = [self._customer(i) for i in range(2)]
        self.orders: list[tuple[int, OrderFacts]] = []  # (who, facts)
        self.refund_keys: list[tuple[int, str, Decimal]] = []
        self.at = DAY0
        self.serial = 0

    def _customer(self, i: int) -> int:
        return int(
            self.conn.execute(
                insert(Customer)
                .values(
                    external_id=f"prop-{i}",
                    email_consent=False,
                    sms_consent=False,
                    created_at=DAY0,
                    updated_at=DAY0,
                )
                .returning(Customer.id)
            ).scalar_one()
        )

    def order(self, who: int, amount: Decimal) -> OrderFacts:
        order_id = self.conn.execute(
            insert(Order)
            .values(
                external_id=f"prop-o{len(self.orders)}",
                customer_id=self.customers[who],
                ordered_at=self.at,
                amount=amount,
                status="paid",
                discount=Decimal(0),
                currency="USD",
                created_at=self.at,
                updated_at=self.at,
            )
            .returning(Order.id)
        ).scalar_one()
        facts = OrderFacts(int(order_id), self.customers[who], self.at, amount)
        self.orders.append((who, facts))
        return facts

    def key(self) -> str:
        self.serial += 1
        return f"k{self.serial}"


def _apply(store: Store, model: Model, op: tuple[Any, ...]) -> None:
    conn, book = store.conn, store.book
    store.at += op[-1] if op[0] != "refund" else op[3]
    at = store.at
    if op[0] == "order":
        _, who, amount, _ = op
        facts = store.order(who, amount)
        service.earn_order(conn, book, facts)
        model.earn(who, facts.order_id, amount, facts.ordered_at)
    elif op[0] == "reimport" and store.orders:
        who, facts = store.orders[op[1] % len(store.orders)]
        assert service.earn_order(conn, book, facts) == []
    elif op[0] == "refund" and model.earned:
        _, pick, percent, _, again = op
        if again and store.refund_keys:
            order_id, key, amount = store.refund_keys[pick % len(store.refund_keys)]
        else:
            order_id = sorted(model.earned)[pick % len(model.earned)]
            whole = model.earned[order_id][2]
            amount = max((whole * percent / 100).quantize(Decimal("0.01")), Decimal("0.01"))
            key = store.key()
            store.refund_keys.append((order_id, key, amount))
        who = next(w for w, f in store.orders if f.order_id == order_id)
        service.refund_order(
            conn,
            book,
            order_id=order_id,
            customer_id=store.customers[who],
            key=key,
            amount=amount,
            at=at,
        )
        model.refund(who, order_id, key, amount, at)
    elif op[0] == "redeem":
        _, who, amount, _ = op
        try:
            service.redeem(
                conn, book, customer_id=store.customers[who], key=store.key(), at=at, amount=amount
            )
            done = True
        except Conflict:
            done = False
        assert done == model.redeem(who, amount, at)
    elif op[0] == "award":
        _, who, amount, _ = op
        service.award(conn, book, service.Credit(store.customers[who], amount, store.key(), at))
        model.credit(who, amount, at, pending=False)
    elif op[0] == "expire":
        assert service.expire(conn, book, at) == model.expire(at)


def _agree(store: Store, model: Model) -> None:
    for who, customer in enumerate(store.customers):
        got = service.balance(store.conn, store.book, customer, store.at)
        account = model.account(who)
        assert (got.total, got.spendable, got.owed) == (
            account.total(),
            account.spendable(store.at),
            account.owed,
        )
        if not model.reversed:
            assert got.owed == 0 and got.spendable >= 0  # below zero only after a refund
    report = check(store.conn, store.book.id)
    assert report.ok, report.problems
    per_order = store.conn.execute(
        select(
            LoyaltyEntry.order_id, LoyaltyEntry.kind, func.sum(LoyaltyEntry.amount), func.count()
        )
        .where(LoyaltyEntry.order_id.is_not(None))
        .group_by(LoyaltyEntry.order_id, LoyaltyEntry.kind)
    ).all()
    earned = {o: (s, n) for o, k, s, n in per_order if k == EntryKind.EARN.value}
    for order_id, kind, total, _ in per_order:
        if kind == EntryKind.REVERSE.value:
            assert -total == model.reversed[order_id] <= earned[order_id][0]
    assert {o: s for o, (s, n) in earned.items()} == {o: e[0] for o, e in model.earned.items()}
    assert all(n == 1 for s, n in earned.values())  # never paid twice


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_the_ledger_agrees_with_the_model_after_every_step(
    conn: Connection, operations: list[tuple[Any, ...]]
) -> None:
    savepoint = conn.begin_nested()
    try:
        store, model = Store(conn), Model()
        for op in operations:
            _apply(store, model, op)
            _agree(store, model)
    finally:
        savepoint.rollback()
