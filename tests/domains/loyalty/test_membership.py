"""Opt-in programmes: only customers who joined earn, on orders from the moment they joined."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from tenure.domains.loyalty import membership, orders, service
from tenure.domains.loyalty.models import LoyaltyAccount, LoyaltyEntry
from tenure.kit.errors import Conflict, NotFound
from tests.domains.loyalty.helpers import DAY0, make_book, order
from tests.factories import make_customer


def _earned(conn: Connection, customer_id: int) -> int:
    return int(
        conn.scalar(
            select(func.coalesce(func.sum(LoyaltyEntry.amount), 0))
            .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyEntry.account_id)
            .where(LoyaltyAccount.customer_id == customer_id)
        )
        or 0
    )


def test_an_opt_in_programme_earns_only_members_orders_after_they_joined(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn, enrolment="opt_in")
    ann, bob = make_customer(session).id, make_customer(session).id
    order(session, ann, "10.00", DAY0)  # day 0: Ann buys before joining — earns nothing
    order(session, bob, "30.00", DAY0)  # Bob never joins — nothing, and no account
    joined = membership.join(conn, book, ann, DAY0 + timedelta(days=1))
    assert joined.new
    order(session, ann, "25.00", DAY0 + timedelta(days=2))  # day 2: a member's order — 25
    session.flush()
    done = orders.run(conn, book, DAY0 + timedelta(days=3))
    assert (done.earned, done.points) == (1, 25)
    assert (_earned(conn, ann), _earned(conn, bob)) == (25, 0)
    assert service.repo.account_of(conn, book.id, bob) is None
    # a second pass, and joining again, change nothing (the first day is kept)
    assert orders.run(conn, book, DAY0 + timedelta(days=3)).earned == 0
    again = membership.join(conn, book, ann, DAY0 + timedelta(days=9))
    assert (again.new, again.joined_at) == (False, DAY0 + timedelta(days=1))


def test_order_by_order_earning_agrees_with_the_pass(conn: Connection, session: Session) -> None:
    book = make_book(conn, enrolment="opt_in")
    ann, bob = make_customer(session).id, make_customer(session).id
    before = order(session, ann, "10.00", DAY0)
    membership.join(conn, book, ann, DAY0 + timedelta(hours=1))
    after = order(session, ann, "25.00", DAY0 + timedelta(hours=2))
    never = order(session, bob, "30.00", DAY0)
    session.flush()
    assert service.earn_order(conn, book, before) == []
    assert service.earn_order(conn, book, never) == []
    assert [p.entry.amount for p in service.earn_order(conn, book, after)] == [25]


def test_an_award_to_someone_who_has_not_joined_is_a_conflict(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn, enrolment="opt_in")
    bob = make_customer(session).id
    credit = service.Credit(customer_id=bob, amount=10, key="api:1", at=DAY0)
    with pytest.raises(Conflict, match="customer: .* has not joined"):
        service.award(conn, book, credit)
    # a referral's reward joins them (the friend signed up with a code)
    service.award(conn, book, service.Credit(bob, 10, "referral:1:friend", DAY0, joins=True))
    assert _earned(conn, bob) == 10
    with pytest.raises(NotFound, match="customer"):
        membership.join(conn, book, 10**9, DAY0)


def test_an_automatic_programme_still_opens_accounts_at_the_first_order(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn)
    ann = make_customer(session).id
    order(session, ann, "10.00", DAY0)
    session.flush()
    assert orders.run(conn, book, DAY0 + timedelta(days=1)).points == 10
    assert service.repo.joined_at(conn, book.id, ann) == DAY0
