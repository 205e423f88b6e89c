"""Referrals: a friend counts once and only as a new person; the reward waits for the first
paid order and its return window; suspicious ones wait for a person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from tenure.domains.audit import service as audit
from tenure.domains.audit.models import AuditEntry
from tenure.domains.customers.models import Customer
from tenure.domains.loyalty import referral_repository, referrals, service
from tenure.domains.loyalty.check import check
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import LoyaltyEntry
from tenure.domains.loyalty.referrals import (
    CODE_LENGTH,
    CODE_LETTERS,
    REASONS,
    email_key,
    email_stem,
    phone_key,
)
from tenure.kit.errors import Conflict, InvalidInput, NotFound
from tests.domains.loyalty.helpers import DAY0, make_book
from tests.factories import make_customer, make_order

DAY = timedelta(days=1)
CLERK = audit.Actor(None, "cli")
REFERRAL = {"referrer_points": 500, "friend_points": 200, "min_order": "20.00"}


def _person(session: Session, email: str | None = None, phone: str | None = None) -> Customer:
    customer = make_customer(session, email=email)
    customer.phone = phone
    session.flush()
    return customer


def _book(conn: Connection, **referral: object) -> Book:
    return make_book(conn, pending_days=14, referral={**REFERRAL, **referral})


def _status(conn: Connection, book: Book, referral_id: int | None) -> tuple[str, list[str]]:
    assert referral_id is not None
    [row] = referral_repository.listing(conn, book.id, referral_id=referral_id)
    return row.status, row.reasons


def _entries(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(LoyaltyEntry)).scalar_one())


def test_addresses_and_phones_compare_as_mail_servers_and_phones_do() -> None:
    assert email_key("Ann.Lee+promo@GMail.com") == "annlee@gmail.com"
    assert email_key("ann.lee@googlemail.com") == "annlee@gmail.com"
    assert email_key("Ann.Lee+promo@shop.test") == "ann.lee@shop.test"  # dots count elsewhere
    assert email_key("no-at-sign") is None and email_key(None) is None
    assert phone_key("+1 (555) 010-2030") == phone_key("15550102030") == "15550102030"
    assert phone_key("12-34") is None  # too short to be anyone's phone
    assert email_stem("ann.lee7@shop.test") == email_stem("annlee@shop.test") == "annlee@shop.test"
    assert email_stem("c12@example.com") is None  # too little left to say anything


def test_a_friend_earns_the_referrer_points_once_after_the_return_window(
    conn: Connection, session: Session
) -> None:
    book = _book(conn)
    ann = _person(session, "ann@shop.test").id
    bob = _person(session, "bob@mail.test").id
    code = referrals.code_for(conn, book, ann, DAY0)
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_LETTERS)
    assert referrals.code_for(conn, book, ann, DAY0 + DAY) == code  # one code per member

    outcome = referrals.refer(conn, book, code.lower(), bob, DAY0)  # typed in lower case
    assert (outcome.status, outcome.reasons) == ("waiting", [])
    bought = DAY0 + 2 * DAY
    make_order(session, customer=session.get(Customer, bob), amount="30.00", ordered_at=bought)
    make_order(
        session, customer=session.get(Customer, bob), amount="99.00", ordered_at=bought + DAY
    )

    # the return window (14 days) has not ended: nothing is paid
    early = referrals.qualify(conn, book, bought + 13 * DAY)
    assert (early.rewarded, early.still_waiting) == (0, 1)
    assert service.balance(conn, book, ann, bought + 13 * DAY).total == 0

    due = bought + 14 * DAY
    done = referrals.qualify(conn, book, due)
    assert (done.rewarded, done.rejected, done.still_waiting) == (1, 0, 0)
    assert service.balance(conn, book, ann, due).spendable == 500
    assert service.balance(conn, book, bob, due).spendable == 200
    [row] = referral_repository.listing(conn, book.id)
    assert (row.status, row.rewarded_at) == ("rewarded", due)

    # a second pass, and a second referral of the same friend, pay nothing
    before = _entries(conn)
    assert referrals.qualify(conn, book, due + 30 * DAY).rewarded == 0
    with pytest.raises(Conflict, match="referred already"):
        referrals.refer(conn, book, code, bob, due)
    assert _entries(conn) == before
    assert check(conn, book.id).ok


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("self", "self_referral"),
        ("bought_before", "already_customer"),
        ("known_email", "duplicate_email"),
        ("known_phone", "duplicate_phone"),
    ],
)
def test_a_friend_who_is_not_a_new_person_is_rejected_with_the_reason(
    conn: Connection, session: Session, case: str, reason: str
) -> None:
    book = _book(conn)
    ann = _person(session, "ann@shop.test", "+86 138 0000 0001")
    _person(session, "annlee@gmail.com", "+1 555 010 2030")  # somebody already known
    friend = {
        "self": ann,
        "bought_before": _person(session, "new@mail.test"),
        "known_email": _person(session, "Ann.Lee+promo@gmail.com"),
        "known_phone": _person(session, "other@mail.test", "1-555-010-2030"),
    }[case]
    if case == "bought_before":
        make_order(session, customer=friend, ordered_at=DAY0 - DAY)
    code = referrals.code_for(conn, book, ann.id, DAY0)
    outcome = referrals.refer(conn, book, code, friend.id, DAY0)
    assert (outcome.status, outcome.reasons) == ("rejected", [reason])
    assert set(outcome.reasons) <= set(REASONS)
    make_order(session, customer=friend, amount="50.00", ordered_at=DAY0 + DAY)
    assert referrals.qualify(conn, book, DAY0 + 60 * DAY).rewarded == 0
    assert service.balance(conn, book, ann.id, DAY0 + 60 * DAY).total == 0


def test_suspicious_referrals_wait_for_a_person_who_approves_or_rejects(
    conn: Connection, session: Session
) -> None:
    book = _book(conn, review_after=2)
    ann = _person(session, "ann.lee@shop.test", "+86 138 0000 0001")
    code = referrals.code_for(conn, book, ann.id, DAY0)

    lookalike = _person(session, "ann.lee7@shop.test")
    shares_phone = _person(session, "someone@mail.test", "86-138-0000-0001")
    third = _person(session, "carol@mail.test")
    assert referrals.refer(conn, book, code, lookalike.id, DAY0).reasons == ["similar_email"]
    assert referrals.refer(conn, book, code, shares_phone.id, DAY0 + DAY).reasons == [
        "referrer_contact"
    ]
    burst = referrals.refer(conn, book, code, third.id, DAY0 + 2 * DAY)
    assert (burst.status, burst.reasons) == ("review", ["burst"])  # the third within 7 days
    # a week later the same referrer is no burst
    fourth = referrals.refer(conn, book, code, _person(session, "dan@mail.test").id, DAY0 + 9 * DAY)
    assert (fourth.status, fourth.reasons) == ("waiting", [])

    review = referral_repository.listing(conn, book.id, status="review")
    assert [r.friend for r in review] == [
        third.external_id,
        shares_phone.external_id,
        lookalike.external_id,
    ]
    with pytest.raises(InvalidInput, match="note"):
        referrals.decide(conn, book, CLERK, burst.referral_id or 0, approve=True, note=" ", at=DAY0)
    approved = referrals.decide(
        conn, book, CLERK, burst.referral_id or 0, approve=True, note="a real friend", at=DAY0
    )
    lookalike_id = review[2].id
    assert approved == "waiting"
    assert (
        referrals.decide(
            conn, book, CLERK, lookalike_id, approve=False, note="own second account", at=DAY0
        )
        == "rejected"
    )
    with pytest.raises(Conflict, match="not waiting for review"):
        referrals.decide(conn, book, CLERK, lookalike_id, approve=True, note="again", at=DAY0)
    with pytest.raises(NotFound, match="no referral 999"):
        referrals.decide(conn, book, CLERK, 999, approve=True, note="x", at=DAY0)
    actions = list(conn.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["loyalty.referral_approve", "loyalty.referral_reject"]

    # the approved one is paid after its friend's first order; the one in review is not
    for who in (third, shares_phone):
        make_order(session, customer=who, amount="40.00", ordered_at=DAY0 + 10 * DAY)
    assert referrals.qualify(conn, book, DAY0 + 30 * DAY).rewarded == 1
    assert service.balance(conn, book, ann.id, DAY0 + 30 * DAY).spendable == 500
    assert _status(conn, book, burst.referral_id)[0] == "rewarded"
    assert _status(conn, book, review[1].id)[0] == "review"


@pytest.mark.parametrize(
    ("status", "amount", "reason"),
    [("refunded", "50.00", "first_order_refunded"), ("paid", "10.00", "first_order_small")],
)
def test_a_refunded_or_small_first_order_ends_the_referral_unrewarded(
    conn: Connection, session: Session, status: str, amount: str, reason: str
) -> None:
    book = _book(conn)
    ann = _person(session, "ann@shop.test").id
    bob = _person(session, "bob@mail.test")
    outcome = referrals.refer(conn, book, referrals.code_for(conn, book, ann, DAY0), bob.id, DAY0)
    make_order(session, customer=bob, amount=amount, ordered_at=DAY0 + DAY, status=status)
    make_order(session, customer=bob, amount="500.00", ordered_at=DAY0 + 2 * DAY)  # too late
    done = referrals.qualify(conn, book, DAY0 + 60 * DAY)
    assert (done.rewarded, done.rejected) == (0, 1)
    assert _status(conn, book, outcome.referral_id) == ("rejected", [reason])
    assert service.balance(conn, book, ann, DAY0 + 60 * DAY).total == 0


def test_unknown_codes_and_programmes_without_referrals_say_so(
    conn: Connection, session: Session
) -> None:
    plain = make_book(conn)
    ann = _person(session).id
    with pytest.raises(InvalidInput, match="no referral section"):
        referrals.code_for(conn, plain, ann, DAY0)
    book = make_book(conn, key="club", referral=REFERRAL)
    with pytest.raises(NotFound, match="no member of 'club' has the code 'NOPE'"):
        referrals.refer(conn, book, "NOPE", ann, DAY0)


def test_the_nightly_loyalty_pass_pays_referrals_once(conn: Connection, session: Session) -> None:
    from tenure.domains.loyalty import nightly

    book = _book(conn)
    ann = _person(session, "ann@shop.test").id
    bob = _person(session, "bob@mail.test")
    referrals.refer(conn, book, referrals.code_for(conn, book, ann, DAY0), bob.id, DAY0)
    make_order(session, customer=bob, amount="30.00", ordered_at=DAY0 + DAY)
    day = (DAY0 + 20 * DAY).date()
    first = nightly.run_day(conn, day)
    assert first.done["stars"]["referrals_rewarded"] == 1
    assert nightly.run_day(conn, day).done["stars"]["referrals_rewarded"] == 0
    # the referrer's 500 and the order's own points for the friend (1 per 1.00) and their 200
    assert service.balance(conn, book, ann, DAY0 + 20 * DAY).spendable == 500
    assert service.balance(conn, book, bob.id, DAY0 + 20 * DAY).spendable == 200 + 30
    assert check(conn, book.id).ok
