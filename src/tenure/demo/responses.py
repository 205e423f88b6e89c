"""The demo company's answers to its playbooks' emails, and their true effect.

Written set-wise while the history is replayed (``Responder.respond`` before each scoring run
and once at the end): one query finds the first delivered email of every treated enrollment
of the playbooks in ``tenure.demo.effects.EFFECTS`` not decided yet, one draw per enrollment
(seeded by the company's seed and the enrollment, so the same company answers the same way)
says whether it buys, and one insert writes the orders. No playbook step and no scoring run
is added: ``tenure demo`` costs what it did.

A response is a paid order whose ``external_id`` starts ``demo-response:``, at the
customer's own average paid order value (the shop's when they have none) — one line, the
customer's latest product (the shop's latest for a first order) — on a day drawn
evenly from what is left of the enrollment's window after the email; one that would fall
after the end of the history is not written (it belongs to an enrollment still being measured).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, insert, select

from tenure.demo.effects import EFFECTS, EFFECTS_FILE, WINDOW_DAYS, TrueEffect
from tenure.demo.truth import Truth
from tenure.domains.automation.models import Enrollment, PlaybookRecord
from tenure.domains.messaging.models import Message, MessageStatus
from tenure.domains.orders.models import Order, OrderLine, OrderStatus
from tenure.kit.timeutil import utcnow

PREFIX = "demo-response:"


@dataclass(frozen=True)
class Lives:
    """When each customer was truly gone (the truth files): a gone customer answers no email.

    A customer who has left does not read the shop's mail; were they to buy, Tenure would call
    them won back while the truth says gone. Leads (no purchase yet) are never gone.
    """

    spans: dict[int, list[tuple[datetime, datetime | None]]]  # customer id → gone [from, to)

    @classmethod
    def of(cls, conn: Connection, truth: Truth) -> Lives:
        """Read the gone spans of every customer, keyed by the store's customer id."""
        from tenure.domains.customers.models import Customer

        ids = dict(conn.execute(select(Customer.external_id, Customer.id)).all())
        spans: dict[int, list[tuple[datetime, datetime | None]]] = {}
        frame = truth.customers.select("customer_id", "left_at", "won_back_at", "left_again_at")
        for external_id, left, back, again in frame.iter_rows():
            found = ids.get(external_id)
            if found is None or left is None:
                continue
            gone = [(_utc(left), None if back is None else _utc(back))]
            if back is not None and again is not None:
                gone.append((_utc(again), None))
            spans[int(found)] = gone
        return cls(spans)

    def gone(self, customer_id: int, at: datetime) -> bool:
        """Whether the customer had truly left at ``at``."""
        return any(
            start <= at and (end is None or at < end)
            for start, end in self.spans.get(customer_id, [])
        )


COST_SHARE = 0.62  # of a response's amount (the demo's orders cost 55–70% of their net amount)


@dataclass
class Responder:
    """Decides, once per enrollment, whether its customer answers the playbook's email."""

    seed: int
    until: datetime  # the end of the history: no response is written after it
    window_days: int = WINDOW_DAYS
    effects: dict[str, TrueEffect] = field(default_factory=lambda: dict(EFFECTS))
    decided: set[int] = field(default_factory=set)
    lives: Lives | None = None  # the truth's gone spans: a gone customer does not answer

    def respond(self, conn: Connection) -> int:
        """Write the responses to the emails delivered so far; return how many orders."""
        sources = {f"playbook:{name}": name for name in self.effects}
        first_sent = (
            select(
                Message.key,
                Message.source,
                Message.customer_id,
                Message.sent_at,
            )
            .where(
                Message.status == MessageStatus.SENT.value,
                Message.source.in_(sources),
                Message.key.like("enrollment:%"),
                Message.sent_at.is_not(None),
            )
            .order_by(Message.sent_at, Message.id)
        )
        firsts: dict[int, tuple[str, int, datetime]] = {}
        for key, source, customer_id, sent_at in conn.execute(first_sent).all():
            enrollment_id = int(str(key).split(":")[1])
            if sent_at is None:
                continue  # pragma: no cover  (the query asks for sent mail)
            if enrollment_id not in self.decided and enrollment_id not in firsts:
                firsts[enrollment_id] = (sources[str(source)], int(customer_id), _utc(sent_at))
        if not firsts:
            return 0
        enrolled = dict(
            conn.execute(
                select(Enrollment.id, Enrollment.enrolled_at).where(
                    Enrollment.id.in_(list(firsts)), Enrollment.holdout.is_(False)
                )
            ).all()
        )
        span = timedelta(days=self.window_days)
        chosen: list[tuple[int, str, int, datetime]] = []
        for enrollment_id, (name, customer_id, sent_at) in sorted(firsts.items()):
            self.decided.add(enrollment_id)
            if enrollment_id not in enrolled:
                continue
            if self.lives is not None and self.lives.gone(customer_id, sent_at):
                continue
            rng = np.random.default_rng([self.seed, 14, enrollment_id])
            if rng.random() >= self.effects[name].response_probability:
                continue
            closes = _utc(enrolled[enrollment_id]) + span
            if closes <= sent_at:
                continue  # the email came after the window: it can move nothing measured
            at = sent_at + (closes - sent_at) * float(rng.random())
            if at <= self.until:
                chosen.append((enrollment_id, name, customer_id, at))
        if not chosen:
            return 0
        values = _order_values(conn, [c for _, _, c, _ in chosen])
        stamp = utcnow()
        conn.execute(
            insert(Order),
            [
                {
                    "external_id": f"{PREFIX}{name}:{enrollment_id}",
                    "customer_id": customer_id,
                    "ordered_at": at,
                    "status": OrderStatus.PAID.value,
                    "amount": values[customer_id],
                    "cost": (values[customer_id] * Decimal(str(COST_SHARE))).quantize(
                        Decimal("0.01")
                    ),
                    "discount": Decimal("0.00"),
                    "currency": "USD",
                    "channel": "web",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for enrollment_id, name, customer_id, at in chosen
            ],
        )
        _add_lines(conn, {f"{PREFIX}{n}:{e}": (c, values[c]) for e, n, c, _ in chosen})
        return len(chosen)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _add_lines(conn: Connection, orders: dict[str, tuple[int, Decimal]]) -> None:
    """Give each response one line: the customer's latest product, else the shop's latest."""
    ids = dict(
        conn.execute(
            select(Order.external_id, Order.id).where(Order.external_id.in_(list(orders)))
        ).all()
    )
    customers = sorted({c for c, _ in orders.values()})
    product = (OrderLine.product_id, OrderLine.product_name, OrderLine.category)
    latest: dict[int, tuple[Any, Any, Any]] = {}
    for customer_id, *found in conn.execute(
        select(Order.customer_id, *product)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.customer_id.in_(customers), Order.external_id.not_like(f"{PREFIX}%"))
        .order_by(Order.ordered_at, OrderLine.line_no)
    ).all():
        latest[int(customer_id)] = (found[0], found[1], found[2])
    shop = conn.execute(select(*product).order_by(OrderLine.id.desc()).limit(1)).first()
    fallback = (None, None, None) if shop is None else (shop[0], shop[1], shop[2])
    conn.execute(
        insert(OrderLine),
        [
            {
                "order_id": ids[external_id],
                "line_no": 1,
                "product_id": latest.get(customer_id, fallback)[0],
                "product_name": latest.get(customer_id, fallback)[1],
                "category": latest.get(customer_id, fallback)[2],
                "quantity": 1,
                "unit_price": amount,
            }
            for external_id, (customer_id, amount) in orders.items()
        ],
    )


def _order_values(conn: Connection, customer_ids: list[int]) -> dict[int, Decimal]:
    """Return each customer's average paid order amount, or the shop's for a first order."""
    paid = Order.status == OrderStatus.PAID.value
    shop = conn.execute(select(func.avg(Order.amount)).where(paid)).scalar_one()
    fallback = Decimal(str(shop if shop is not None else 60)).quantize(Decimal("0.01"))
    own = {
        int(c): Decimal(str(a)).quantize(Decimal("0.01"))
        for c, a in conn.execute(
            select(Order.customer_id, func.avg(Order.amount))
            .where(paid, Order.customer_id.in_(customer_ids))
            .group_by(Order.customer_id)
        ).all()
        if a is not None
    }
    return {c: own.get(c, fallback) for c in customer_ids}


def true_effects(
    conn: Connection, as_of: datetime, window_days: int = WINDOW_DAYS, lives: Lives | None = None
) -> dict[str, dict[str, Any]]:
    """Return each demo playbook's true uplift of its goal rate, intent to treat.

    Over the enrollments measured as of ``as_of``: enrolled at least ``window_days`` before.

    The uplift is the response probability × the share of the treated enrollments whose first
    email of the playbook was delivered inside the window to a customer not truly gone then
    (``lives``), and that made no other paid order in it: the chance, averaged over them, that
    the email turned a non-buyer into a buyer.
    """
    span = timedelta(days=window_days)
    out: dict[str, dict[str, Any]] = {}
    for name, effect in EFFECTS.items():
        rows = conn.execute(
            select(Enrollment.id, Enrollment.customer_id, Enrollment.enrolled_at)
            .join(PlaybookRecord, PlaybookRecord.id == Enrollment.playbook_id)
            .where(
                PlaybookRecord.name == name,
                Enrollment.holdout.is_(False),
                Enrollment.global_control.is_(False),
                Enrollment.enrolled_at <= as_of - span,
            )
        ).all()
        treated = {int(r[0]): (int(r[1]), _utc(r[2])) for r in rows}
        emailed: dict[int, datetime] = {}
        customers = sorted({c for c, _ in treated.values()})
        if treated:
            for key, sent_at in conn.execute(
                select(Message.key, Message.sent_at).where(
                    Message.status == MessageStatus.SENT.value,
                    Message.source == f"playbook:{name}",
                    Message.customer_id.in_(customers),
                    Message.key.like("enrollment:%"),
                )
            ).all():
                enrollment_id = int(str(key).split(":")[1])
                if enrollment_id in treated and sent_at is not None:
                    at = _utc(sent_at)
                    emailed[enrollment_id] = min(emailed.get(enrollment_id, at), at)
        bought: dict[int, list[datetime]] = {}
        if treated:
            own = f"{PREFIX}{name}:%"
            for customer_id, ordered_at in conn.execute(
                select(Order.customer_id, Order.ordered_at).where(
                    Order.status == OrderStatus.PAID.value,
                    Order.customer_id.in_(customers),
                    Order.external_id.not_like(own),
                )
            ).all():
                bought.setdefault(int(customer_id), []).append(_utc(ordered_at))
        reachable = 0
        for enrollment_id, (customer_id, enrolled_at) in treated.items():
            sent = emailed.get(enrollment_id)
            if sent is None or sent >= enrolled_at + span:
                continue
            if lives is not None and lives.gone(customer_id, sent):
                continue
            if any(enrolled_at <= t < enrolled_at + span for t in bought.get(customer_id, [])):
                continue
            reachable += 1
        share = reachable / len(treated) if treated else None
        out[name] = {
            "playbook": name,
            "metric": "goal_rate",
            "story": effect.story,
            "response_probability": effect.response_probability,
            "window_days": window_days,
            "as_of": as_of.isoformat(),
            "treated_measured": len(treated),
            "reachable_share": share,
            "true_uplift": None if share is None else effect.response_probability * share,
        }
    return out


def write_effects(folder: Path, effects: dict[str, dict[str, Any]]) -> Path:
    """Write the true effects to ``effects.json`` in the truth folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / EFFECTS_FILE
    path.write_text(json.dumps(effects, indent=2) + "\n")
    return path


def read_effects(folder: Path) -> dict[str, dict[str, Any]] | None:
    """Read ``effects.json`` from the truth folder; None when the demo wrote none."""
    path = folder / EFFECTS_FILE
    if not path.exists():
        return None
    found: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return found
