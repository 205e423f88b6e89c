"""The ledger on hand-made timelines: earn, pending, redeem, refund, adjust, expire, check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from tenure.domains.audit import service as audit
from tenure.domains.audit.models import AuditEntry
from tenure.domains.loyalty import service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.earning import LineFacts
from tenure.domains.loyalty.models import LoyaltyAllocation, LoyaltyEntry
from tenure.domains.loyalty.service import Credit
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tests.domains.loyalty.helpers import DAY0, make_book, member, order

DAY = timedelta(days=1)
CLERK = audit.Actor(None, "cli")


def _entries(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(LoyaltyEntry)).scalar_one())


def _allocations(conn: Connection, draw_id: int) -> list[tuple[int, int]]:
    rows = conn.execute(
        select(LoyaltyAllocation.lot_id, LoyaltyAllocation.amount)
        .where(LoyaltyAllocation.draw_id == draw_id)
        .order_by(LoyaltyAllocation.id)
    )
    return [(int(lot), int(amount)) for lot, amount in rows]


def test_an_order_earns_once_and_waits_out_the_return_window(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn, pending_days=14)
    who = member(session)
    facts = order(session, who, "123.45")
    [posted] = service.earn_order(conn, book, facts)
    assert posted.entry.amount == 123  # ⌊123.45 × 1⌋
    # day 0..13: pending; day 14: spendable
    assert service.balance(conn, book, who, DAY0 + 13 * DAY) == service.Balance(123, 0, 123, 0)
    assert service.balance(conn, book, who, DAY0 + 14 * DAY).spendable == 123
    before = _entries(conn)
    assert service.earn_order(conn, book, facts) == []  # re-import: nothing
    assert _entries(conn) == before
    with pytest.raises(Conflict, match="spendable balance 0"):
        service.redeem(conn, book, customer_id=who, key="r1", at=DAY0 + DAY, amount=1)


def test_redemptions_take_the_soonest_expiring_lots_first(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn, expiry={"policy": "lot_days", "days": 30})
    who = member(session)
    late = service.award(conn, book, Credit(who, 100, "a-late", DAY0 + 10 * DAY)).entry
    early = service.award(conn, book, Credit(who, 100, "a-early", DAY0)).entry
    at = DAY0 + 11 * DAY
    posted = service.redeem(conn, book, customer_id=who, key="r1", at=at, amount=150)
    assert _allocations(conn, posted.entry.id) == [(early.id, 100), (late.id, 50)]
    assert service.balance(conn, book, who, at).spendable == 50
    # the same key again is the same redemption; with another amount it is refused
    again = service.redeem(conn, book, customer_id=who, key="r1", at=at, amount=150)
    assert (again.entry.id, again.written) == (posted.entry.id, False)
    with pytest.raises(Conflict, match="idempotency key"):
        service.redeem(conn, book, customer_id=who, key="r1", at=at, amount=10)
    assert service.balance(conn, book, who, at).spendable == 50
    assert check(conn, book.id).ok


def test_a_reward_costs_its_price_times_the_quantity(conn: Connection, session: Session) -> None:
    book = make_book(conn)
    who = member(session)
    service.award(conn, book, Credit(who, 120, "gift", DAY0))
    posted = service.redeem(
        conn, book, customer_id=who, key="r", at=DAY0, reward="coffee", quantity=2
    )
    assert (posted.entry.amount, posted.entry.rule) == (-100, "coffee")
    with pytest.raises(InvalidInput, match="reward: no reward 'tea'"):
        service.redeem(conn, book, customer_id=who, key="r2", at=DAY0, reward="tea")
    with pytest.raises(NotFound, match="programme: no loyalty programme 'nope'"):
        service.book(conn, "nope")


def test_refunds_reverse_in_proportion_exactly_once(conn: Connection, session: Session) -> None:
    book = make_book(conn, earn=[{"key": "base", "per_unit": 1}, {"key": "visit", "per_order": 10}])
    who = member(session)
    facts = order(session, who, "100.00")
    service.earn_order(conn, book, facts)  # 100 + 10

    def refund(key: str, amount: str) -> list[int]:
        posted = service.refund_order(
            conn,
            book,
            order_id=facts.order_id,
            customer_id=who,
            key=key,
            amount=Decimal(amount),
            at=DAY0 + DAY,
        )
        return [p.entry.amount for p in posted]

    assert refund("rf1", "25.00") == [-25, -2]  # ⌊100·¼⌋, ⌊10·¼⌋
    assert refund("rf1", "25.00") == []  # the same refund again counts once
    assert refund("rf2", "75.00") == [-75, -8]  # now all of it: exactly 100 and 10 in all
    assert refund("rf3", "5.00") == []  # beyond the order's amount there is nothing left
    assert service.balance(conn, book, who, DAY0 + DAY).total == 0
    assert check(conn, book.id).ok


def test_a_refund_of_spent_points_leaves_a_debt_that_blocks_redemption(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn)
    who = member(session)
    facts = order(session, who, "80.00")
    service.earn_order(conn, book, facts)
    service.redeem(conn, book, customer_id=who, key="r1", at=DAY0 + DAY, amount=50)
    service.refund_order(
        conn,
        book,
        order_id=facts.order_id,
        customer_id=who,
        key="rf",
        amount=Decimal("80.00"),
        at=DAY0 + 2 * DAY,
    )
    # 80 earned, 50 spent, 80 reversed: 30 came from the lot, 50 is owed
    assert service.balance(conn, book, who, DAY0 + 2 * DAY) == service.Balance(-50, -50, 0, 50)
    with pytest.raises(Conflict, match="spendable balance -50"):
        service.redeem(conn, book, customer_id=who, key="r2", at=DAY0 + 3 * DAY, amount=1)
    # the next points settle the debt first
    service.award(conn, book, Credit(who, 70, "gift", DAY0 + 4 * DAY))
    assert service.balance(conn, book, who, DAY0 + 4 * DAY) == service.Balance(20, 20, 0, 0)
    service.redeem(conn, book, customer_id=who, key="r3", at=DAY0 + 4 * DAY, amount=20)
    assert check(conn, book.id).ok


def test_adjustments_need_a_reason_are_audited_and_cannot_overdraw(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn)
    who = member(session)
    with pytest.raises(InvalidInput, match="reason"):
        service.adjust(
            conn, book, customer_id=who, amount=5, reason=" ", key="a", at=DAY0, actor=CLERK
        )
    posted = service.adjust(
        conn, book, customer_id=who, amount=40, reason="goodwill", key="a1", at=DAY0, actor=CLERK
    )
    with pytest.raises(Conflict, match="spendable balance 40"):
        service.adjust(
            conn, book, customer_id=who, amount=-41, reason="typo", key="a2", at=DAY0, actor=CLERK
        )
    service.adjust(
        conn, book, customer_id=who, amount=-15, reason="typo", key="a3", at=DAY0, actor=CLERK
    )
    service.adjust(
        conn, book, customer_id=who, amount=-15, reason="typo", key="a3", at=DAY0, actor=CLERK
    )  # a replay: no second entry, no second audit line
    logged = conn.execute(
        select(AuditEntry.entity_id, AuditEntry.after).where(AuditEntry.action == "loyalty.adjust")
    ).all()
    assert [(row[0], row[1]["amount"], row[1]["reason"]) for row in logged][:1] == [
        (str(posted.entry.id), 40, "goodwill")
    ]
    assert len(logged) == 2
    assert service.balance(conn, book, who, DAY0).total == 25


def test_caps_multipliers_and_category_rules(conn: Connection, session: Session) -> None:
    book = make_book(
        conn,
        earn=[
            {"key": "base", "per_unit": 1, "cap_day": 100, "multipliers": {"gold": "1.5"}},
            {
                "key": "coffee",
                "per_unit": 2,
                "lines": {"field": "category", "op": "=", "value": "coffee"},
            },
        ],
    )
    who = member(session)
    beans = LineFacts("coffee", "p1", "Beans", 2, Decimal("12.50"))
    mug = LineFacts("kitchen", "p2", "Mug", 1, Decimal("55.00"))
    first = service.earn_order(conn, book, order(session, who, "80.00", lines=(beans, mug)))
    assert [(p.entry.rule, p.entry.amount) for p in first] == [("base", 80), ("coffee", 50)]
    second = service.earn_order(conn, book, order(session, who, "80.00", DAY0 + timedelta(hours=3)))
    assert [(p.entry.rule, p.entry.amount) for p in second] == [("base", 20)]  # cap 100 a day
    gold = service.earn_order(conn, book, order(session, who, "33.00", DAY0 + DAY), tier="gold")
    assert [(p.entry.rule, p.entry.amount) for p in gold] == [("base", 49)]  # ⌊33 × 1.5⌋


def test_cashback_counts_cents(conn: Connection, session: Session) -> None:
    book = make_book(conn, currency="cashback", earn=[{"key": "back", "per_unit": 2}])
    who = member(session)
    [posted] = service.earn_order(conn, book, order(session, who, "19.99"))
    assert posted.entry.amount == 39  # 2 % of 19.99 = 39.98 cents, rounded down


def test_lots_expire_after_n_days_once(conn: Connection, session: Session) -> None:
    book = make_book(conn, expiry={"policy": "lot_days", "days": 30}, pending_days=10)
    who = member(session)
    service.earn_order(conn, book, order(session, who, "60.00"))  # spendable day 10, expires day 40
    service.redeem(conn, book, customer_id=who, key="r", at=DAY0 + 20 * DAY, amount=25)
    assert service.expire(conn, book, DAY0 + 39 * DAY) == 0
    assert service.expire(conn, book, DAY0 + 40 * DAY) == 35
    assert service.expire(conn, book, DAY0 + 41 * DAY) == 0  # once
    assert service.balance(conn, book, who, DAY0 + 41 * DAY).total == 0
    assert check(conn, book.id).ok


def test_points_expire_at_the_end_of_the_period_in_the_programmes_zone(
    conn: Connection, session: Session
) -> None:
    book = make_book(
        conn,
        timezone="Asia/Shanghai",
        expiry={"policy": "end_of_period", "period": "quarter", "after": 1},
    )
    who = member(session)
    # 2026-03-31 17:00 UTC is already 1 April in Shanghai: the second quarter, so the lot
    # lasts to the end of the third (30 Sep 16:00 UTC)
    lot = service.award(conn, book, Credit(who, 10, "g", datetime(2026, 3, 31, 17, tzinfo=UTC)))
    assert lot.entry.expires_at == datetime(2026, 9, 30, 16, tzinfo=UTC)


def test_inactivity_expires_everything_after_a_quiet_spell(
    conn: Connection, session: Session
) -> None:
    book = make_book(conn, expiry={"policy": "inactivity", "days": 90})
    who = member(session)
    service.award(conn, book, Credit(who, 30, "g1", DAY0))
    service.redeem(conn, book, customer_id=who, key="r", at=DAY0 + 50 * DAY, amount=10)
    assert service.expire(conn, book, DAY0 + 139 * DAY) == 0  # 89 days since the redemption
    assert service.expire(conn, book, DAY0 + 140 * DAY) == 20
    assert service.expire(conn, book, DAY0 + 300 * DAY) == 0
    service.award(conn, book, Credit(who, 5, "g2", DAY0 + 301 * DAY))  # a new spell
    assert service.expire(conn, book, DAY0 + 391 * DAY) == 5
    assert check(conn, book.id).ok


def test_the_check_finds_a_ledger_that_does_not_add_up(conn: Connection, session: Session) -> None:
    book = make_book(conn)
    who, other = member(session), member(session)
    lot = service.award(conn, book, Credit(who, 10, "g1", DAY0)).entry
    spent = service.redeem(conn, book, customer_id=who, key="r", at=DAY0, amount=4).entry
    service.award(conn, book, Credit(other, 10, "g2", DAY0))
    report = check(conn, book.id)
    assert report.ok
    assert (report.accounts, report.total) == (2, 16)
    # tamper: a second allocation of the redemption makes the lot give more than it holds
    conn.execute(insert(LoyaltyAllocation).values(draw_id=spent.id, lot_id=lot.id, amount=8))
    problems = check(conn, book.id).problems
    assert any("lot gave 2 more than it held" in p for p in problems)
    assert any("covered 8 beyond its amount" in p for p in problems)
