"""Referrals: a member's code, the friends it brings, and the reward after their first order.

A friend counts only as a new person: no paid order before the referral and no email or phone
that another known customer already has (compared as mail servers and phones compare them:
``Ann.Lee+promo@gmail.com`` is ``annlee@gmail.com``; ``+1 (555) 010-2030`` is ``15550102030``).
Such referrals are rejected at once, with the reason.

Suspicious ones wait in a review list for a person to approve or reject:
- ``similar_email``: the friend's address is the referrer's (or an earlier friend's) with other
  digits — ``ann.lee1@…``, ``ann.lee2@…`` — the common pattern of self-made accounts;
- ``burst``: the referrer brought more than ``review_after`` friends in seven days;
- ``referrer_contact``: the friend shares the referrer's phone — the referrer ordering for
  themselves under a new name.

The referrer (and the friend, if the programme says so) is credited once the friend's first
paid order since the referral is past the programme's pending period (its return window) and
was not refunded; the ledger keys ``referral:<id>:referrer`` and ``referral:<id>:friend`` make
a second pass pay nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tenure.domains.audit.service import Actor, record
from tenure.domains.loyalty import referral_repository as repo
from tenure.domains.loyalty.definition import Referral
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import ReferralStatus
from tenure.domains.loyalty.service import Credit, award
from tenure.kit.errors import Conflict, InvalidInput, NotFound

# no 0/O, 1/I/L: a code is read aloud and typed from a phone
CODE_LETTERS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
BURST_DAYS = 7
GMAIL = {"gmail.com", "googlemail.com"}
# every reason a referral can carry (labelled in both languages in kit/vocabulary.py)
REASONS = (
    "self_referral",
    "already_customer",
    "duplicate_email",
    "duplicate_phone",
    "similar_email",
    "burst",
    "referrer_contact",
    "first_order_refunded",
    "first_order_small",
)


def email_key(email: str | None) -> str | None:
    """Return the address as its mail server reads it: lower case, no +tag; Gmail: no dots."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}" if local else None


def phone_key(phone: str | None) -> str | None:
    """Return the phone's digits (at least six, else it is no phone to compare)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits if len(digits) >= 6 else None


def email_stem(email: str | None) -> str | None:
    """Return the address without the digits and dots of its local part: the pattern."""
    key = email_key(email)
    if key is None:
        return None
    local, _, domain = key.partition("@")
    stem = re.sub(r"[\d._-]+", "", local)
    return f"{stem}@{domain}" if len(stem) >= 3 else None


@dataclass(frozen=True)
class Outcome:
    """What became of a referral when it was recorded."""

    referral_id: int | None  # None: rejected before it was stored (the friend was referred)
    status: str
    reasons: list[str] = field(default_factory=list)


def _referral(book: Book) -> Referral:
    found = book.programme.referral
    if found is None:
        raise InvalidInput(
            f"programme: {book.programme.key!r} has no referral section; add `referral:` "
            "with referrer_points to its file (docs/loyalty.md)"
        )
    return found


def code_for(conn: Connection, book: Book, customer_id: int, at: datetime) -> str:
    """Return the member's referral code, made on first asking."""
    _referral(book)
    existing = repo.code_of(conn, book.id, customer_id)
    if existing is not None:
        return existing
    while True:
        code = "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))
        if not repo.code_taken(conn, code):
            break
    repo.add_code(conn, book.id, customer_id, code, at)
    return code


def rejections(conn: Connection, referrer_id: int, friend_id: int, at: datetime) -> list[str]:
    """Return why the friend is not a new person (empty: they are)."""
    if friend_id == referrer_id:
        return ["self_referral"]
    reasons = []
    if repo.paid_before(conn, friend_id, at):
        reasons.append("already_customer")
    friend = repo.contact(conn, friend_id)
    email, phone = email_key(friend.email), phone_key(friend.phone)
    others = repo.others_with_contact(conn, friend_id)
    if email is not None and any(email_key(o.email) == email for o in others):
        reasons.append("duplicate_email")
    if phone is not None and any(
        phone_key(o.phone) == phone for o in others if o.customer_id != referrer_id
    ):
        reasons.append("duplicate_phone")
    return reasons


def suspicions(
    conn: Connection, book: Book, referrer_id: int, friend_id: int, at: datetime
) -> list[str]:
    """Return why the referral should wait for a person's review (empty: it need not)."""
    rule = _referral(book)
    referrer, friend = repo.contact(conn, referrer_id), repo.contact(conn, friend_id)
    reasons = []
    stem = email_stem(friend.email)
    earlier = [referrer, *repo.friends_of(conn, book.id, referrer_id)]
    if stem is not None and any(email_stem(p.email) == stem for p in earlier):
        reasons.append("similar_email")
    since = at - timedelta(days=BURST_DAYS)
    if repo.referred_since(conn, book.id, referrer_id, since) >= rule.review_after:
        reasons.append("burst")
    same_phone = phone_key(friend.phone)
    if same_phone is not None and same_phone == phone_key(referrer.phone):
        reasons.append("referrer_contact")
    return reasons


def refer(conn: Connection, book: Book, code: str, friend_id: int, at: datetime) -> Outcome:
    """Record that ``friend_id`` arrived by ``code``: waiting, in review, or rejected."""
    _referral(book)
    referrer_id = repo.owner_of_code(conn, book.id, code.strip().upper())
    if referrer_id is None:
        raise NotFound(f"code: no member of {book.programme.key!r} has the code {code!r}")
    if repo.referral_of_friend(conn, book.id, friend_id) is not None:
        raise Conflict("friend: this customer was referred already (a friend counts once)")
    reasons = rejections(conn, referrer_id, friend_id, at)
    if reasons:
        status = ReferralStatus.REJECTED
    else:
        reasons = suspicions(conn, book, referrer_id, friend_id, at)
        status = ReferralStatus.REVIEW if reasons else ReferralStatus.WAITING
    referral_id = repo.add_referral(
        conn,
        {
            "programme_id": book.id,
            "referrer_id": referrer_id,
            "friend_id": friend_id,
            "referred_at": at,
            "status": status.value,
            "reasons": reasons,
        },
    )
    return Outcome(referral_id, status.value, reasons)


def decide(
    conn: Connection,
    book: Book,
    actor: Actor,
    referral_id: int,
    *,
    approve: bool,
    note: str,
    at: datetime,
) -> str:
    """Approve (back to waiting for the first order) or reject a referral under review."""
    if not note.strip():
        raise InvalidInput("note: say why (it is kept with the referral and in the audit log)")
    found = repo.listing(conn, book.id, referral_id=referral_id)
    if not found:
        raise NotFound(f"referral: no referral {referral_id} in {book.programme.key!r}")
    if found[0].status != ReferralStatus.REVIEW.value:
        raise Conflict(f"referral: {referral_id} is {found[0].status}, not waiting for review")
    status = ReferralStatus.WAITING if approve else ReferralStatus.REJECTED
    repo.set_referral(
        conn,
        referral_id,
        {"status": status.value, "decided_by": actor.user_id, "decided_at": at, "note": note},
    )
    record(
        conn,
        actor,
        "loyalty.referral_approve" if approve else "loyalty.referral_reject",
        "loyalty_referrals",
        referral_id,
        before={"status": ReferralStatus.REVIEW.value},
        after={"status": status.value, "note": note},
    )
    return status.value


@dataclass
class Qualified:
    """What one pass over the waiting referrals did."""

    rewarded: int = 0
    rejected: int = 0
    still_waiting: int = 0


def qualify(conn: Connection, book: Book, until: datetime) -> Qualified:
    """Reward the referrals whose friend's first order is past its return window by ``until``.

    A first order below the programme's ``min_order``, or refunded, ends the referral
    unrewarded. Safe to run again: the ledger keys make a second pass pay nothing.
    """
    rule = _referral(book)
    window = timedelta(days=book.programme.pending_days)
    done = Qualified()
    for first in repo.first_orders(conn, book.id):
        if first.refunded or first.amount < rule.min_order:
            reason = "first_order_refunded" if first.refunded else "first_order_small"
            repo.set_referral(
                conn,
                first.referral_id,
                {"status": ReferralStatus.REJECTED.value, "reasons": [reason]},
            )
            done.rejected += 1
            continue
        due = first.ordered_at + window
        if due > until:
            done.still_waiting += 1
            continue
        for who, points, key in (
            (first.referrer_id, rule.referrer_points, "referrer"),
            (first.friend_id, rule.friend_points, "friend"),
        ):
            if points > 0:
                award(
                    conn,
                    book,
                    Credit(
                        customer_id=who,
                        amount=points,
                        key=f"referral:{first.referral_id}:{key}",
                        at=due,
                        rule="referral",
                        joins=True,  # signing up with a code joins an opt-in programme
                    ),
                )
        repo.set_referral(
            conn,
            first.referral_id,
            {
                "status": ReferralStatus.REWARDED.value,
                "order_id": first.order_id,
                "rewarded_at": due,
            },
        )
        done.rewarded += 1
    return done
