"""The demo's loyalty programme: the shipped Stars file, run over the company's history.

In the demo Stars is opt-in: about 43 % of the buyers join, at the till of one of their first
three orders (that order earns), and the better customers — more orders over their life —
join more often. So members outbuy comparable non-members without the programme having
changed anything (the demo's purchases are simulated before it): the Loyalty page's matched
comparison shows why it says "not a causal effect".

The programme is applied before the demo's first scoring run, so that run earns on every
past order at once (set-based), reviews tiers and awards milestones; the later runs earn on
what came since. At the end some members spend points on vouchers, so the Loyalty page shows
redemptions next to what was issued and what expired.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, select

from tenure.domains.loyalty import programmes, service
from tenure.domains.loyalty import repository as repo
from tenure.domains.orders.models import Order, OrderStatus

PRESET = Path(programmes.__file__).parent / "presets" / "stars.yaml"
REWARD = "voucher-5"
EVERY = 3  # one member in three with enough points redeems a voucher
JOINING = 0.43  # the share of buyers who join
OPT_IN = "enrolment: opt_in          # the demo's customers join at the till (demo/loyalty.py)\n"


def apply_programme(conn: Connection, now: datetime) -> str:
    """Apply the shipped programme, made opt-in; return its key."""
    text = PRESET.read_text(encoding="utf-8").replace(
        "currency: points\n", "currency: points\n" + OPT_IN, 1
    )
    programme = programmes.parse(text, str(PRESET))
    programmes.apply(conn, programme, text, now)
    return programme.key


def join_some(conn: Connection, key: str, seed: int) -> int:
    """Let about 43 % of the buyers join, the better ones more often; return how many joined.

    A buyer with the r-th fewest orders of n joins with probability 0.43 × (0.4 + 1.2 r / n)
    (0.17 for the fewest, 0.69 for the most), at one of their first three orders.
    """
    book = service.book(conn, key)
    times: dict[int, list[datetime]] = defaultdict(list)
    for customer_id, at in conn.execute(
        select(Order.customer_id, Order.ordered_at)
        .where(Order.status == OrderStatus.PAID.value)
        .order_by(Order.customer_id, Order.ordered_at)
    ):
        times[int(customer_id)].append(at)
    if not times:
        return 0
    rng = np.random.default_rng(seed + 16)
    buyers = sorted(times)
    counts = np.array([len(times[c]) for c in buyers], dtype=float)
    rank = np.argsort(np.argsort(counts + rng.random(len(buyers)))) / max(len(buyers) - 1, 1)
    joins = rng.random(len(buyers)) < JOINING * (0.4 + 1.2 * rank)
    at_order = rng.integers(0, 3, len(buyers))
    joined = {
        c: times[c][min(int(at_order[i]), len(times[c]) - 1)]
        for i, c in enumerate(buyers)
        if joins[i]
    }
    repo.ensure_accounts(conn, book.id, joined)
    return len(joined)


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
