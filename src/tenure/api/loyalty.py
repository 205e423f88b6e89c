"""Loyalty for other systems: a member's balance and tier, their ledger, awards and redemptions.

Writes need an idempotency key (the ``Idempotency-Key`` header or the body's ``key``): a
retried request returns the entry the first one wrote (``replayed: true``) and changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request
from sqlalchemy import Connection, Engine

from tenure.api.auth import Guard, audit_actor
from tenure.api.params import PathId, QueryId
from tenure.domains.loyalty import (
    kpis,
    membership,
    referral_repository,
    referrals,
    service,
    tier_repository,
)
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.ledger import Book, Posted
from tenure.domains.loyalty.schemas import (
    NewAward,
    NewMembership,
    NewRedemption,
    NewReferral,
    ReferralDecision,
    Write,
)
from tenure.domains.users.permissions import Permission as P
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction

KEY_HEADER = Header(
    default=None,
    alias="Idempotency-Key",
    max_length=200,
    description="Your idempotency key (or give `key` in the body).",
)

AS_OF = Query(None, description="YYYY-MM-DD (default: today in the programme's time zone).")


def _key(body: Write, header: str | None) -> str:
    if header is not None and body.key is not None and header != body.key:
        raise InvalidInput("key: the body's key and the Idempotency-Key header differ")
    key = header or body.key
    if not key:
        raise InvalidInput("key: give an idempotency key (Idempotency-Key header or key)")
    return key


def _member(conn: Connection, customer_id: int) -> None:
    if not repo.customer_exists(conn, customer_id):
        raise NotFound(f"customer_id: no customer {customer_id}")


def _summary(conn: Connection, book: Book, key: str, customer_id: int) -> dict[str, Any]:
    now = utcnow()
    balance = service.balance(conn, book, customer_id, now)
    return {
        "programme": key,
        "currency": book.programme.currency.value,
        "balance": balance.total,
        "spendable": balance.spendable,
        "pending": balance.pending,
        "owed": balance.owed,
        "tier": tier_repository.tiers_of_customer(conn, book.id, customer_id),
        "joined_at": repo.joined_at(conn, book.id, customer_id),
    }


def _posted(conn: Connection, book: Book, key: str, done: Posted) -> dict[str, Any]:
    entry = done.entry
    return {
        "entry": {
            "id": entry.id,
            "kind": entry.kind,
            "amount": entry.amount,
            "key": entry.key,
            "occurred_at": entry.occurred_at,
            "rule": entry.rule,
        },
        "replayed": not done.written,
        "programme": key,
    }


def routes(engine: Engine, router: APIRouter) -> None:
    """Add the loyalty routes to ``router``."""
    guard = Guard(engine, router)
    base = "/customers/{customer_id}/loyalty"

    @guard.route("GET", base, P.READ_CUSTOMERS)
    def balances(customer_id: PathId) -> dict[str, Any]:
        """Return the member's balance (total, spendable, pending, owed) and tier, per programme."""
        with engine.connect() as conn:
            _member(conn, customer_id)
            items = [
                _summary(conn, service.book(conn, key), key, customer_id)
                for key in repo.programme_keys(conn)
            ]
        return {"items": items}

    @guard.route("GET", base + "/ledger", P.READ_CUSTOMERS)
    def ledger(
        customer_id: PathId,
        programme: str | None = Query(None, max_length=64),
        limit: int = Query(50, ge=1, le=500),
        before_id: QueryId = None,
    ) -> dict[str, Any]:
        """Return the member's ledger entries, newest first, a page at a time (`before_id`).

        Without `programme`, the entries of every programme, each naming its programme.
        """
        with engine.connect() as conn:
            _member(conn, customer_id)
            keys = [programme] if programme else repo.programme_keys(conn)
            rows: list[dict[str, object]] = []
            for key in keys:
                book = service.book(conn, key)
                rows += [
                    {**row, "programme": key}
                    for row in service.statement(
                        conn, book, customer_id, limit=limit + 1, before_id=before_id
                    )
                ]
        rows.sort(key=lambda row: -int(str(row["id"])))  # entry ids are the ledger's order
        more = len(rows) > limit
        items = rows[:limit]
        return {"items": items, "next_before_id": items[-1]["id"] if more else None}

    @guard.route("POST", base + "/awards", P.AWARD_POINTS)
    def award(
        customer_id: PathId, body: NewAward, idempotency_key: str | None = KEY_HEADER
    ) -> dict[str, Any]:
        """Credit points to the member, once per idempotency key (spendable at once)."""
        key = _key(body, idempotency_key)
        with write_transaction(engine) as conn:
            _member(conn, customer_id)
            book = service.sole_programme(conn, body.programme)
            done = service.award(
                conn,
                book,
                service.Credit(
                    customer_id, body.amount, f"api:{key}", utcnow(), "api", body.reason
                ),
            )
            name = repo.programme_key_of(conn, book.id)
            return {**_posted(conn, book, name, done), **_summary(conn, book, name, customer_id)}

    @guard.route("POST", base + "/membership", P.AWARD_POINTS)
    def join(customer_id: PathId, body: NewMembership) -> dict[str, Any]:
        """Make the customer a member (an opt-in programme's orders earn from now on).

        Joining again changes nothing and answers the first day (`joined: false`).
        """
        with write_transaction(engine) as conn:
            _member(conn, customer_id)
            book = service.sole_programme(conn, body.programme)
            done = membership.join(conn, book, customer_id, utcnow())
            return {
                "programme": repo.programme_key_of(conn, book.id),
                "customer_id": customer_id,
                "joined_at": done.joined_at,
                "joined": done.new,
            }

    @guard.route("POST", base + "/referral-code", P.AWARD_POINTS)
    def referral_code(
        customer_id: PathId, programme: str | None = Query(None, max_length=64)
    ) -> dict[str, Any]:
        """Return the member's referral code, made the first time (the same code every time)."""
        with write_transaction(engine) as conn:
            _member(conn, customer_id)
            book = service.sole_programme(conn, programme)
            return {"code": referrals.code_for(conn, book, customer_id, utcnow())}

    @guard.route("POST", "/loyalty/referrals", P.AWARD_POINTS)
    def refer(body: NewReferral) -> dict[str, Any]:
        """Record a friend who arrived by a code: `waiting`, `review` or `rejected` with reasons.

        A friend counts once (409 the second time) and only as a new person; see docs/loyalty.md.
        """
        with write_transaction(engine) as conn:
            _member(conn, body.friend_id)
            book = service.sole_programme(conn, body.programme)
            done = referrals.refer(conn, book, body.code, body.friend_id, utcnow())
            return done.__dict__

    @guard.route("GET", "/loyalty/kpis", P.READ_CUSTOMERS)
    def kpi_report(
        programme: str | None = Query(None, max_length=64),
        as_of: date | None = AS_OF,
        months: int = Query(12, ge=1, le=120, description="The tier migration's period."),
    ) -> dict[str, Any]:
        """Members beside comparable non-members (matched; not a causal effect), tier migration.

        One report per programme (without `programme`: every programme's). Each outcome has
        the members' mean, the matched non-members' and the difference, each with its 95 %
        interval; see docs/loyalty.md.
        """
        with engine.connect() as conn:
            keys = [programme] if programme else repo.programme_keys(conn)
            items = []
            for key in keys:
                book = service.book(conn, key)
                today = utcnow().astimezone(ZoneInfo(book.programme.timezone)).date()
                day = as_of or today
                items.append(kpis.report(conn, book, as_of=day, months=months, today=today))
        return {"items": items}

    @guard.route("GET", "/loyalty/referrals", P.READ_CUSTOMERS)
    def referral_list(
        programme: str | None = Query(None, max_length=64),
        status: str | None = Query(None, pattern="^(waiting|review|rewarded|rejected)$"),
    ) -> dict[str, Any]:
        """List referrals, the newest first (`status=review`: the review list).

        Without `programme`, those of every programme, each naming its programme.
        """
        with engine.connect() as conn:
            keys = [programme] if programme else repo.programme_keys(conn)
            items = [
                {**row.__dict__, "programme": key}
                for key in keys
                for row in referral_repository.listing(conn, service.book(conn, key).id, status)
            ]
        items.sort(key=lambda item: (item["referred_at"], item["id"]), reverse=True)
        return {"items": items}

    @guard.route("POST", "/loyalty/referrals/{referral_id}/decision", P.AWARD_POINTS)
    def decide(referral_id: PathId, body: ReferralDecision, request: Request) -> dict[str, Any]:
        """Approve (it waits for the first order again) or reject a referral under review."""
        with write_transaction(engine) as conn:
            book = service.sole_programme(conn, body.programme)
            status = referrals.decide(
                conn,
                book,
                audit_actor(request),
                referral_id,
                approve=body.approve,
                note=body.note,
                at=utcnow(),
            )
        return {"id": referral_id, "status": status}

    @guard.route("POST", base + "/redemptions", P.REDEEM_POINTS)
    def redeem(
        customer_id: PathId, body: NewRedemption, idempotency_key: str | None = KEY_HEADER
    ) -> dict[str, Any]:
        """Spend the member's points on a reward or an amount; 409 if the balance is short."""
        key = _key(body, idempotency_key)
        if (body.reward is None) == (body.amount is None):
            raise InvalidInput("reward: give a reward or an amount (one of them)")
        with write_transaction(engine) as conn:
            _member(conn, customer_id)
            book = service.sole_programme(conn, body.programme)
            done = service.redeem(
                conn,
                book,
                customer_id=customer_id,
                key=f"api:{key}",
                at=utcnow(),
                reward=body.reward,
                amount=body.amount,
                quantity=body.quantity,
            )
            name = repo.programme_key_of(conn, book.id)
            return {**_posted(conn, book, name, done), **_summary(conn, book, name, customer_id)}
