"""The demo's loyalty programme: the shipped Stars file, run over the company's history.

The programme is applied before the demo's first scoring run, so that run earns on every
past order at once (set-based), reviews tiers and awards milestones; the later runs earn on
what came since. At the end some members spend points on vouchers, so the Loyalty page shows
redemptions next to what was issued and what expired.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from tenure.domains.loyalty import programmes, service
from tenure.domains.loyalty import repository as repo

PRESET = Path(programmes.__file__).parent / "presets" / "stars.yaml"
REWARD = "voucher-5"
EVERY = 3  # one member in three with enough points redeems a voucher


def apply_programme(conn: Connection, now: datetime) -> str:
    """Apply the shipped programme; return its key."""
    [(programme, source)] = programmes.read_all(PRESET)
    programmes.apply(conn, programme, source, now)
    return programme.key


def redeem_some(conn: Connection, key: str, at: datetime) -> int:
    """Let one member in EVERY who has the points buy a voucher at ``at``; return how many."""
    book = service.book(conn, key)
    reward = book.programme.reward(REWARD)
    if reward is None:
        return 0
    done = 0
    # Σ entries bounds what is spendable: only those members are looked at closely
    rich = repo.customers_holding(conn, book.id, reward.price)
    for customer_id in rich[::EVERY]:
        if service.balance(conn, book, customer_id, at).spendable < reward.price:
            continue
        service.redeem(
            conn, book, customer_id=customer_id, key=f"demo:{customer_id}", at=at, reward=REWARD
        )
        done += 1
    return done
