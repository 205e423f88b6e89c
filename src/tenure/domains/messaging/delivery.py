"""Deliver the outbox: at most once through SMTP, with retries only where nothing was sent.

Each message goes through three committed steps:

1. claimed: ``sending`` (its lease: ``next_attempt_at`` = now + the lease), committed before
   the transport sees it;
2. handed to the transport;
3. ``sent`` (with its transport id, and a ``message_sent`` event in the same transaction), or
   ``queued`` again later (a transient refusal: nothing was sent), or ``failed``.

A crash between 1 and 3 leaves ``sending``: the message may or may not have gone. Once its
lease has run out, the next pass marks it ``unknown`` for a person to review — it is never
resent automatically, because an SMTP send cannot be taken back or told apart from a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.messaging import repository
from tenure.domains.messaging.models import MessageStatus
from tenure.domains.messaging.repository import Claimed
from tenure.domains.messaging.transports import (
    Outgoing,
    PermanentFailure,
    TransientFailure,
    Transport,
)
from tenure.kit.clock import Clock
from tenure.storage.engine import write_transaction

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 5, 25, 125 minutes after the 1st…4th attempt
BACKOFF_FACTOR = 5


@dataclass
class DeliveryReport:
    """What one pass did, by message id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # found stuck in ``sending``, or unsure


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the ``attempts``-th transient failure."""
    return BACKOFF_BASE * int(BACKOFF_FACTOR ** max(attempts - 1, 0))


def deliver_due(
    engine: Engine,
    transport: Transport,
    clock: Clock,
    limit: int = 500,
    *,
    lease_seconds: int = 300,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryReport:
    """Send up to ``limit`` due messages, each in its own transactions (see the module)."""
    report = DeliveryReport()
    lease = timedelta(seconds=lease_seconds)
    with write_transaction(engine) as conn:
        report.unknown.extend(repository.expire_claims(conn, clock.now()))
    if report.unknown:
        log.warning("messages left sending by a stopped sender, now unknown: %s", report.unknown)
    seen: list[int] = []
    while len(seen) < limit:
        now = clock.now()
        with write_transaction(engine) as conn:
            claimed = repository.claim_next(conn, now, now + lease, seen)
        if claimed is None:
            break
        seen.append(claimed.id)
        _send_one(engine, transport, clock, claimed, max_attempts, report)
    return report


def _send_one(
    engine: Engine,
    transport: Transport,
    clock: Clock,
    message: Claimed,
    max_attempts: int,
    report: DeliveryReport,
) -> None:
    outgoing = Outgoing(
        message_id=message.id,
        to_address=message.to_address,
        subject=message.subject,
        html=message.html,
        text=message.text,
        category=message.category,
        unsubscribe_url=message.unsubscribe_url,
    )
    try:
        transport_id = transport.send(outgoing)
    except TransientFailure as exc:
        _retry_or_fail(engine, clock, message, exc.reason, max_attempts, report)
    except PermanentFailure as exc:
        _end(engine, message.id, MessageStatus.FAILED, exc.reason)
        report.failed.append(message.id)
    except Exception:  # the transport cannot tell whether it went: never resent
        log.exception("message %s: the transport failed midway; marked unknown", message.id)
        _end(engine, message.id, MessageStatus.UNKNOWN, "transport_error")
        report.unknown.append(message.id)
    else:
        _sent(engine, clock.now(), message, transport_id)
        report.sent.append(message.id)


def _sent(engine: Engine, now: datetime, message: Claimed, transport_id: str) -> None:
    with write_transaction(engine) as conn:
        done = repository.finish(
            conn,
            message.id,
            status=MessageStatus.SENT.value,
            reason=None,
            sent_at=now,
            transport_id=transport_id[:255],
            next_attempt_at=None,
        )
        if not done:  # its lease ran out meanwhile and another pass marked it unknown
            return
        event = feed.NewEvent(
            key=f"message:{message.id}:sent",
            customer_id=message.customer_id,
            type=SystemEventType.MESSAGE_SENT,
            occurred_at=now,
            properties={
                "message_id": message.id,
                "template": message.template,
                "category": message.category,
                "source": message.source,
            },
        )
        feed.append(conn, EventSource.PLAYBOOK, [event])


def _retry_or_fail(
    engine: Engine,
    clock: Clock,
    message: Claimed,
    reason: str,
    max_attempts: int,
    report: DeliveryReport,
) -> None:
    if message.attempts >= max_attempts:
        _end(engine, message.id, MessageStatus.FAILED, reason)
        report.failed.append(message.id)
        return
    with write_transaction(engine) as conn:
        repository.finish(
            conn,
            message.id,
            status=MessageStatus.QUEUED.value,
            reason=reason,
            next_attempt_at=clock.now() + backoff(message.attempts),
        )
    report.retrying.append(message.id)


def _end(engine: Engine, message_id: int, status: MessageStatus, reason: str) -> None:
    with write_transaction(engine) as conn:
        repository.finish(
            conn, message_id, status=status.value, reason=reason, next_attempt_at=None
        )
